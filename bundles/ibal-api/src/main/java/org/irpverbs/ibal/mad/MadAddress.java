package org.irpverbs.ibal.mad;

import org.irpverbs.verbs.SpecialQpType;

/**
 * Where a MAD goes, or where a received one came from: the port's destination LID, the remote
 * QPN and Q_Key, the service level and the P_Key index the send uses. A reply goes to the
 * {@link ReceivedMad#source()} of its request.
 *
 * <p>Immutable and thread-safe.
 *
 * @param lid          unicast destination LID (1..0xBFFF)
 * @param qpn          remote QPN: 0 for SMPs, 1 for GMPs unless a ClassPortInfo redirects
 * @param qkey         the remote Q_Key: {@link SpecialQpType#GSI_QKEY} for QP1, ignored for QP0
 * @param serviceLevel 0..15
 * @param pkeyIndex    index into the local port's P_Key table
 */
public record MadAddress(int lid, int qpn, int qkey, int serviceLevel, int pkeyIndex) {
    public MadAddress {
        if (lid < 1 || lid > 0xBFFF) {
            throw new IllegalArgumentException(String.format("a MAD goes to a unicast LID 0x1..0xBFFF, was 0x%X", lid));
        }
        if (qpn < 0 || qpn > 0xFFFFFF) {
            throw new IllegalArgumentException("a QPN is 24 bits, was " + qpn);
        }
        if (serviceLevel < 0 || serviceLevel > 15) {
            throw new IllegalArgumentException("a service level is 0..15, was " + serviceLevel);
        }
        if (pkeyIndex < 0 || pkeyIndex > 0xFFFF) {
            throw new IllegalArgumentException("a P_Key index is 16 bits, was " + pkeyIndex);
        }
    }

    /** The general services interface (QP1) of the port at {@code lid}. */
    public static MadAddress gsi(int lid) {
        return new MadAddress(lid, SpecialQpType.GSI.qpn(), SpecialQpType.GSI_QKEY, 0, 0);
    }

    /** The subnet management interface (QP0) of the port at {@code lid}. */
    public static MadAddress smi(int lid) {
        return new MadAddress(lid, SpecialQpType.SMI.qpn(), 0, 0, 0);
    }
}
