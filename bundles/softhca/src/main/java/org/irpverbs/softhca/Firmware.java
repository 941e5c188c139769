package org.irpverbs.softhca;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The host command register (HCR) in event mode. A posted command runs for its latency class's
 * time (a timer, never a sleeping thread), takes effect, and completes through the
 * {@link CommandCompletionHandler} with its token. The HCR accepts at most
 * {@code 1 << logMaxOutstanding} commands at once (QUERY_FW reports it); keeping within that
 * bound, and queueing the rest, is the driver's job.
 *
 * <p>Thread-safe; every method is non-blocking.
 */
@ProviderType
public interface Firmware {
    /**
     * Posts a command (writes the HCR and sets the go bit).
     *
     * @return false, with nothing posted, if {@link #maxOutstanding()} commands are already in
     *         progress or the hardware is in reset or failed
     */
    boolean post(Command command, int token);

    /** Where completions go; set by the driver before posting. */
    void setCompletionHandler(CommandCompletionHandler handler);

    int maxOutstanding();

    /** Commands posted and not yet completed. */
    int outstanding();
}
