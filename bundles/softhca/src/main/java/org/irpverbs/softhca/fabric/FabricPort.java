package org.irpverbs.softhca.fabric;

import org.irpverbs.softhca.wire.Gid;
import org.irpverbs.verbs.Mtu;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One HCA port cabled to the fabric's switch. The HCA sends whole packets through
 * {@link #send(Frame)} and receives them through the {@link FrameReceiver} it attached with.
 *
 * <p>Thread-safe; no method blocks.
 */
@ProviderType
public interface FabricPort {
    /** The name given at attach, e.g. "hca0/1". */
    String name();

    long guid();

    /** The port's unicast LID, 0 if none is assigned. */
    int lid();

    /**
     * Assigns a LID (as a subnet manager would).
     *
     * @throws IllegalArgumentException if the LID is not 0 or 1..0xBFFF, or another port has it
     */
    void setLid(int lid);

    Mtu mtu();

    /** Packets whose payload exceeds the MTU are dropped and counted. */
    void setMtu(Mtu mtu);

    boolean isLinkUp();

    /** Takes the link up or down; the receiver is told. A down link drops every packet it would carry. */
    void setLinkUp(boolean up);

    /**
     * Sends a packet; the fabric owns {@code frame} from now on (it is released when dropped or
     * delivered and consumed). Never blocks.
     *
     * @return false if the port itself discarded it (detached, link down, over its MTU, malformed)
     */
    boolean send(Frame frame);

    /**
     * Sends {@code frames[from..to)} in order, as {@link #send} would send each; the array stays
     * the caller's. An engine hands over everything it produced in one pass of its loop this way,
     * so that a burst to one receiver costs one hand-off and one wake-up, not one per packet. The
     * default sends them one by one.
     */
    default void sendBurst(Frame[] frames, int from, int to) {
        for (int i = from; i < to; i++) {
            send(frames[i]);
        }
    }

    /**
     * Checksum offload: whether a sender may leave the ICRC of its packets unset
     * ({@link Frame#setIcrcOffloaded}) because this port computes it where a packet leaves the
     * process (to a {@link FabricTransport}) and an in-process receiver does not need it. Real
     * HCAs compute the ICRC in silicon at line rate; in software it is a CRC-32 pass over every
     * byte, twice per packet. The default is false: the sender computes it.
     */
    default boolean icrcOffload() {
        return false;
    }

    /**
     * Segmentation offload: whether a sender may give this port a segment run
     * ({@link Frame#setSegmentRun}) for {@code dlid}, each packet carrying at most
     * {@code payloadPerSegment} bytes: true only when the destination is a port in this process
     * whose receiver {@link FrameReceiver#acceptsSegmentRuns() takes runs}. Asked per run (routes
     * change). The default is false: the sender sends packets.
     */
    default boolean segmentationOffload(int dlid, int payloadPerSegment) {
        return false;
    }

    /** Joins multicast group {@code mlid} (0xC000..0xFFFE), recording its MGID if given. */
    void join(int mlid, Gid mgid);

    void leave(int mlid);

    /** Counts a packet the receiver rejected (bad ICRC, malformed) in PortRcvErrors. */
    void countReceiveError();

    PortCounters counters();

    boolean isAttached();

    /** Leaves the fabric: the LID is free again and every multicast group is left. Idempotent. */
    void detach();
}
