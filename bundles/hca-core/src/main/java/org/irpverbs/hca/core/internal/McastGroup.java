package org.irpverbs.hca.core.internal;

/**
 * A multicast group the HCA forwards to: its MGM entry and the QPs attached. Changed only by the
 * one multicast operation in progress ({@link McastVerbs} runs them one at a time), read by shells.
 */
final class McastGroup {
    /** QPNs one 64-byte MGM entry holds (mthca: 4 * (entry size / 16 - 2)). */
    static final int MAX_QPS = 8;

    final int index;
    final byte[] gid;
    final int mlid;
    volatile int[] qpns;

    McastGroup(int index, byte[] gid, int mlid, int[] qpns) {
        this.index = index;
        this.gid = gid.clone();
        this.mlid = mlid;
        this.qpns = qpns;
    }

    boolean contains(int qpn) {
        for (int q : qpns) {
            if (q == qpn) {
                return true;
            }
        }
        return false;
    }

    int[] with(int qpn) {
        int[] now = qpns;
        int[] next = java.util.Arrays.copyOf(now, now.length + 1);
        next[now.length] = qpn;
        return next;
    }

    int[] without(int qpn) {
        return java.util.Arrays.stream(qpns).filter(q -> q != qpn).toArray();
    }
}
