package org.irpverbs.softhca.fabric;

/**
 * A snapshot of one port's counters, with the names and units of the IB PortCounters attribute
 * (IBA 16.1.3.5). The data counters count 32-bit words, as IB does (every packet is a whole number
 * of words; the VCRC is not modelled and not counted).
 *
 * @param portXmitData     words sent
 * @param portRcvData      words received
 * @param portXmitPkts     packets sent
 * @param portRcvPkts      packets received
 * @param portXmitDiscards packets discarded instead of sent: the port's link was down, the packet
 *                         exceeded the port's MTU, or (as counted by the switch port facing it)
 *                         packets for this port discarded because its link was down
 * @param portRcvErrors    packets received with errors: larger than the port's MTU, or rejected by
 *                         the receiver (bad ICRC, malformed headers)
 *
 * <p>Thread-safe: an immutable snapshot.
 */
public record PortCounters(long portXmitData, long portRcvData, long portXmitPkts, long portRcvPkts,
        long portXmitDiscards, long portRcvErrors) {

    public long xmitBytes() {
        return portXmitData * 4;
    }

    public long rcvBytes() {
        return portRcvData * 4;
    }
}
