package org.irpverbs.softhca.fabric;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * How packets leave and enter the switch for ports that are not in this process: the SPI a
 * RoCEv2-over-UDP transport (UDP port 4791) implements. Such a transport strips the LRH (and GRH)
 * on the way out, sends the transport part (BTH onward, ICRC recomputed over its IP/UDP pseudo
 * header with {@link org.irpverbs.softhca.wire.Icrc#computeTransport}) in a UDP datagram, and on
 * the way in rebuilds an LRH and hands the packet to the {@link FabricIngress}. The HCA engine
 * never sees the difference.
 *
 * <p>Implementations must be thread-safe: {@link #transmit} is called on senders' threads,
 * possibly at DISPATCH, and must not block (queue the frame for the transport's own I/O thread).
 */
@ConsumerType
public interface FabricTransport {
    /** Called once when the transport is added; packets from outside go into {@code ingress}. */
    void open(FabricIngress ingress);

    /** True if this transport reaches unicast LID {@code dlid} (asked for LIDs no local port owns). */
    boolean reaches(int dlid);

    /**
     * Carries a packet out. The transport owns {@code frame} and releases it when sent or dropped.
     * Multicast packets are offered to every transport (a copy each).
     */
    void transmit(Frame frame, int dlid);

    /** Called once when the transport is removed or the fabric closes. */
    void close();
}
