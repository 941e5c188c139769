package org.irpverbs.ibal.mad;

/**
 * One send: the MAD, its destination, and for a request that expects a response
 * ({@link MadMethod#expectsResponse}) how long to wait for it and how many times to send again
 * when that time passes without one (IBA 13.4.6.4: the retries carry the same TID).
 *
 * <p>Immutable and thread-safe.
 *
 * @param mad             the MAD; a request's TID gets the agent's high 32 bits
 * @param destination     where it goes
 * @param responseTimeoutNanos time allowed for each attempt's response (&gt; 0 for requests that
 *                        expect one; ignored otherwise)
 * @param retries         0..{@link #MAX_RETRIES} more attempts after the first
 */
public record MadSend(Mad mad, MadAddress destination, long responseTimeoutNanos, int retries) {
    /** Upper bound on retries (Linux ib_mad's limit on a send's retries is in the same range). */
    public static final int MAX_RETRIES = 15;

    public MadSend {
        if (mad == null || destination == null) {
            throw new IllegalArgumentException("a MAD send needs a MAD and a destination");
        }
        if (retries < 0 || retries > MAX_RETRIES) {
            throw new IllegalArgumentException("retries must be 0.." + MAX_RETRIES + ", was " + retries);
        }
        if (MadMethod.expectsResponse(mad.header().method()) && responseTimeoutNanos <= 0) {
            throw new IllegalArgumentException("a " + String.format("method 0x%02X", mad.header().method())
                    + " request expects a response, so it needs a response timeout > 0, was " + responseTimeoutNanos);
        }
    }

    /** A send that expects no response (a reply, a Send, a Trap). */
    public static MadSend oneWay(Mad mad, MadAddress destination) {
        return new MadSend(mad, destination, 0, 0);
    }
}
