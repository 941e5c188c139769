package org.irpverbs.softhca.fabric;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The receiving side of a port: what the fabric calls to deliver a packet. Called on the sender's
 * thread (the sending HCA's engine, or a transport's receive thread), possibly at DISPATCH, so it
 * must not block: a soft HCA queues the frame for its own engine and returns.
 */
@ConsumerType
public interface FrameReceiver {
    /**
     * A packet for this port. The receiver owns {@code frame} from now on and must
     * {@link Frame#release()} it when done (at once if it drops it).
     */
    void receive(FabricPort port, Frame frame);

    /** The port's link went up or down (the port may still be attached). Must not block. */
    /**
     * Several packets for {@code port}, in order, from one sender's burst: {@code frames[from..to)}
     * pass to the receiver as {@link #receive} would pass each. The array stays the caller's. The
     * default receives them one by one; an HCA queues the whole burst with one hand-off.
     */
    default void receiveBurst(FabricPort port, Frame[] frames, int from, int to) {
        for (int i = from; i < to; i++) {
            receive(port, frames[i]);
        }
    }

    /**
     * Whether this receiver handles segment runs ({@link Frame#segments()} &gt; 1) as the packets
     * they stand for; the fabric gives runs only to receivers that do. Default false.
     */
    default boolean acceptsSegmentRuns() {
        return false;
    }

    default void linkStateChanged(FabricPort port, boolean up) {
    }
}
