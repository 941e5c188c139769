package org.irpverbs.verbs;

/**
 * The two special queue pairs every IB port has (IBA 3.9.1, 10.2.4): the subnet management
 * interface QP0 and the general services interface QP1. On the wire they are QPN 0 and 1 of their
 * port; inside the HCA each is a QP context of its own (mthca's CONF_SPECIAL_QP assigns them), so
 * the {@link QueuePair#number()} of a special QP is that context's number, not 0 or 1.
 */
public enum SpecialQpType {
    /** QP0: subnet management packets (SMPs), on VL15; neither P_Key nor Q_Key is checked. */
    SMI(0),
    /** QP1: general management packets (GMPs); accepts only the GSI Q_Key {@link #GSI_QKEY}. */
    GSI(1);

    /** The well-known Q_Key of QP1 (IBA 9.6.1.1.1, C9-49): every GMP sent to a QP1 carries it. */
    public static final int GSI_QKEY = 0x80010000;

    private final int qpn;

    SpecialQpType(int qpn) {
        this.qpn = qpn;
    }

    /** The QPN the special QP has on the wire: 0 or 1. */
    public int qpn() {
        return qpn;
    }
}
