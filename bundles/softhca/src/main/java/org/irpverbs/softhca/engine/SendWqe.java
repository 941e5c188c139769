package org.irpverbs.softhca.engine;

import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WrOpcode;

/**
 * One send queue slot: the WQE the driver posted (copied, so the work request may be reused) and
 * the transport's progress on it. Preallocated per QP; the posting thread writes the request part
 * under the QP's send lock before publishing the producer index, the engine thread owns the rest.
 */
final class SendWqe {
    // ---- the request, written at post time ----
    long wrId;
    WrOpcode opcode;
    int flags;
    boolean signaled;
    boolean solicited;
    int sgeCount;
    final long[] addresses;
    final int[] lengths;
    final int[] lkeys;
    /** INLINE: the data, copied at post time. */
    final byte[] inline;
    boolean isInline;
    int totalLength;
    int immediate;
    long remoteAddress;
    int rkey;
    long compareAdd;
    long swap;
    int destLid;
    int remoteQpn;
    int remoteQkey;

    // ---- transport state, the engine's pass only ----
    boolean started;
    boolean done;
    /** Set when the WQE failed; it completes with this status in its turn. */
    WcStatus error;
    int firstPsn;
    /** PSNs the WQE consumes (packets of a SEND/WRITE, responses of a READ, 1 for an atomic). */
    int npkts;
    /** Packets sent in the current attempt. */
    int sentPkts;
    /** READ: response packets received so far. */
    int readPktsReceived;
    /** READ: the response index the latest (re-)request asked from. */
    int readRequestStart;

    SendWqe(int maxSge, int maxInline) {
        addresses = new long[Math.max(1, maxSge)];
        lengths = new int[Math.max(1, maxSge)];
        lkeys = new int[Math.max(1, maxSge)];
        inline = new byte[maxInline];
    }

    void resetTransport() {
        started = false;
        done = false;
        error = null;
        firstPsn = 0;
        npkts = 0;
        sentPkts = 0;
        readPktsReceived = 0;
        readRequestStart = 0;
    }

    /**
     * The local checks this WQE needs before anything is sent: every SGE's key, PD, bounds and
     * rights in QP {@code qp}'s protection domain; null if they pass, else LOC_PROT_ERR.
     */
    WcStatus checkLocal(QpContext qp) {
        if (isInline) {
            return null;
        }
        int rights = isReadOrAtomic() ? AccessFlags.LOCAL_WRITE : 0;
        return MemoryAccess.checkList(qp.device, qp.pd, addresses, lengths, lkeys, sgeCount, rights) ? null
                : WcStatus.LOC_PROT_ERR;
    }

    boolean isReadOrAtomic() {
        return opcode == WrOpcode.RDMA_READ || opcode == WrOpcode.ATOMIC_CMP_AND_SWP
                || opcode == WrOpcode.ATOMIC_FETCH_AND_ADD;
    }
}
