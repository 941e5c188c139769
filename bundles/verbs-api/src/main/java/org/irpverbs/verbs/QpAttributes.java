package org.irpverbs.verbs;

/**
 * QP attributes for MODIFY_QP and QUERY_QP (ibv_qp_attr), with a mask of the attributes given.
 * {@link QpTransitions} says which attributes each state transition requires and allows.
 *
 * <p>Not thread-safe.
 */
public final class QpAttributes {
    public static final int STATE = 1;
    public static final int ACCESS_FLAGS = 1 << 3;
    public static final int PKEY_INDEX = 1 << 4;
    public static final int PORT = 1 << 5;
    public static final int QKEY = 1 << 6;
    /** The address vector: destination LID and service level. */
    public static final int AV = 1 << 7;
    public static final int PATH_MTU = 1 << 8;
    public static final int TIMEOUT = 1 << 9;
    public static final int RETRY_CNT = 1 << 10;
    public static final int RNR_RETRY = 1 << 11;
    public static final int RQ_PSN = 1 << 12;
    public static final int MAX_QP_RD_ATOMIC = 1 << 13;
    public static final int MIN_RNR_TIMER = 1 << 15;
    public static final int SQ_PSN = 1 << 16;
    public static final int MAX_DEST_RD_ATOMIC = 1 << 17;
    public static final int DEST_QPN = 1 << 20;

    public int mask;
    public QpState state;
    public int accessFlags;
    public int pkeyIndex;
    /** 1-based port number. */
    public int port;
    public int qkey;
    public int destLid;
    public int serviceLevel;
    public Mtu pathMtu;
    /** Local ACK timeout: 4.096 µs × 2^timeout (0 = infinite). */
    public int timeout;
    /** Transport retries (0..7). */
    public int retryCount;
    /** RNR retries (0..7; 7 = infinite). */
    public int rnrRetry;
    /** 24-bit PSNs. */
    public int rqPsn;
    public int sqPsn;
    public int maxReadAtomic;
    public int maxDestReadAtomic;
    /** Minimum RNR NAK timer field (IBA table 45 encoding, 0..31). */
    public int minRnrTimer;
    public int destQpn;

    public QpAttributes set(int attribute) {
        mask |= attribute;
        return this;
    }

    public boolean has(int attribute) {
        return (mask & attribute) != 0;
    }

    public QpAttributes toState(QpState target) {
        state = target;
        return set(STATE);
    }

    public QpAttributes copyFrom(QpAttributes o) {
        mask = o.mask;
        state = o.state;
        accessFlags = o.accessFlags;
        pkeyIndex = o.pkeyIndex;
        port = o.port;
        qkey = o.qkey;
        destLid = o.destLid;
        serviceLevel = o.serviceLevel;
        pathMtu = o.pathMtu;
        timeout = o.timeout;
        retryCount = o.retryCount;
        rnrRetry = o.rnrRetry;
        rqPsn = o.rqPsn;
        sqPsn = o.sqPsn;
        maxReadAtomic = o.maxReadAtomic;
        maxDestReadAtomic = o.maxDestReadAtomic;
        minRnrTimer = o.minRnrTimer;
        destQpn = o.destQpn;
        return this;
    }

    static String names(int mask) {
        String[] names = {"STATE", "?1", "?2", "ACCESS_FLAGS", "PKEY_INDEX", "PORT", "QKEY", "AV", "PATH_MTU", "TIMEOUT",
            "RETRY_CNT", "RNR_RETRY", "RQ_PSN", "MAX_QP_RD_ATOMIC", "?14", "MIN_RNR_TIMER", "SQ_PSN",
            "MAX_DEST_RD_ATOMIC", "?18", "?19", "DEST_QPN"};
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
            if ((mask & (1 << i)) != 0) {
                b.append(b.length() == 0 ? "" : ", ").append(names[i]);
            }
        }
        return b.toString();
    }
}
