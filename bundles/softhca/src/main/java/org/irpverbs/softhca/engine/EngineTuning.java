package org.irpverbs.softhca.engine;

/**
 * Knobs of the simulated hardware that are not part of an HCA's configuration.
 *
 * @param timerScale          factor applied to IB transport timers: the local ACK timeout
 *                            (4.096 µs × 2^timeout) and the RNR NAK timer (IBA table 45). Real
 *                            values are kept in the attributes; the wait is scaled down so that
 *                            retry tests and error paths run in milliseconds (default 1/16)
 * @param rcWindowPackets     unacknowledged packets an RC requester may have in flight per QP
 *                            (a real HCA's outstanding-PSN limit; default 1024: 64 WRITEs of
 *                            64 KiB at MTU 4096. A window the responder drains before its
 *                            coalesced ACK comes back turns a stream into a ping-pong of windows,
 *                            each costing both engines a park and a wake-up: at 128 packets
 *                            (8 such WRITEs) a 64 KiB WRITE took 2.0 µs instead of 1.3 µs;
 *                            docs/BENCHMARKS-HCA.md)
 * @param ackRequestInterval  an RC requester sets AckReq on the last packet of each message and on
 *                            every this-many packets of a long one (default 16)
 * @param sendBurstPackets    packets one QP may send before the engine turns to other work, for
 *                            fairness (default 64)
 * @param inboxFrames         packets an HCA queues from the fabric before it drops (there is no
 *                            link-level flow control; default 8192)
 * @param busyPollMicros      how long a consumer that polled an empty CQ counts as busy-polling the
 *                            HCA: meanwhile it runs the engine's packet and doorbell work itself and
 *                            the engine thread leaves that work to it (Linux's busy_poll with
 *                            SO_PREFER_BUSY_POLL; see EngineThread). Also the longest that work waits
 *                            if the poller stops polling. 0 turns busy polling off (default 100;
 *                            0..1000000)
 *
 * <p>Thread-safe: immutable.
 */
public record EngineTuning(double timerScale, int rcWindowPackets, int ackRequestInterval, int sendBurstPackets,
        int inboxFrames, int busyPollMicros) {
    /** The longest busy-poll window: a poller that stops leaves its work at most this long. */
    public static final int MAX_BUSY_POLL_MICROS = 1_000_000;
    static final int DEFAULT_BUSY_POLL_MICROS = 100;
    /** The system property that sets the busy-poll window of {@link #defaults()}. */
    public static final String BUSY_POLL_PROPERTY = "irpverbs.busyPollMicros";

    /**
     * @throws IllegalArgumentException naming the field out of range
     */
    public EngineTuning {
        if (!(timerScale > 0) || timerScale > 1) {
            throw new IllegalArgumentException("timerScale must be in (0, 1], was " + timerScale);
        }
        if (rcWindowPackets < 1 || rcWindowPackets > (1 << 22)) {
            throw new IllegalArgumentException("rcWindowPackets must be 1..2^22, was " + rcWindowPackets);
        }
        if (ackRequestInterval < 1) {
            throw new IllegalArgumentException("ackRequestInterval must be positive, was " + ackRequestInterval);
        }
        if (sendBurstPackets < 1) {
            throw new IllegalArgumentException("sendBurstPackets must be positive, was " + sendBurstPackets);
        }
        if (inboxFrames < 16) {
            throw new IllegalArgumentException("inboxFrames must be at least 16, was " + inboxFrames);
        }
        if (busyPollMicros < 0 || busyPollMicros > MAX_BUSY_POLL_MICROS) {
            throw new IllegalArgumentException(
                    "busyPollMicros must be 0.." + MAX_BUSY_POLL_MICROS + ", was " + busyPollMicros);
        }
    }

    /** The tuning of version 1.0 of this package: busy polling at its default. */
    public EngineTuning(double timerScale, int rcWindowPackets, int ackRequestInterval, int sendBurstPackets,
            int inboxFrames) {
        this(timerScale, rcWindowPackets, ackRequestInterval, sendBurstPackets, inboxFrames, DEFAULT_BUSY_POLL_MICROS);
    }

    /**
     * The defaults, with the busy-poll window from the system property {@value #BUSY_POLL_PROPERTY}
     * if set (as Linux's {@code net.core.busy_poll} sysctl sets it for a whole host).
     *
     * @throws IllegalArgumentException naming the property, if it is set to something else than
     *         0..{@value #MAX_BUSY_POLL_MICROS}
     */
    public static EngineTuning defaults() {
        return new EngineTuning(1.0 / 16, 1024, 16, 64, 8192, busyPollMicros(System.getProperty(BUSY_POLL_PROPERTY)));
    }

    /**
     * The busy-poll window a value of {@value #BUSY_POLL_PROPERTY} gives: the default for none.
     *
     * @throws IllegalArgumentException naming the property and what it accepts
     */
    static int busyPollMicros(String property) {
        if (property == null || property.isBlank()) {
            return DEFAULT_BUSY_POLL_MICROS;
        }
        int micros;
        try {
            micros = Integer.parseInt(property.trim());
        } catch (NumberFormatException e) {
            micros = -1;
        }
        if (micros < 0 || micros > MAX_BUSY_POLL_MICROS) {
            throw new IllegalArgumentException(BUSY_POLL_PROPERTY + " must be a number of microseconds 0.."
                    + MAX_BUSY_POLL_MICROS + " (0: no busy polling), was '" + property + "'");
        }
        return micros;
    }

    /** The same tuning with another busy-poll window (0: off). */
    public EngineTuning withBusyPollMicros(int micros) {
        return new EngineTuning(timerScale, rcWindowPackets, ackRequestInterval, sendBurstPackets, inboxFrames, micros);
    }

    /** The same tuning with another timer scale. */
    public EngineTuning withTimerScale(double scale) {
        return new EngineTuning(scale, rcWindowPackets, ackRequestInterval, sendBurstPackets, inboxFrames,
                busyPollMicros);
    }

    /** Scaled nanoseconds for a real duration, at least 1 µs. */
    long scaled(long realNanos) {
        return Math.max(1_000L, (long) (realNanos * timerScale));
    }
}
