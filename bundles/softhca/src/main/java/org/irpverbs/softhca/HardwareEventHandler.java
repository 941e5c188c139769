package org.irpverbs.softhca;

import org.irpverbs.verbs.AsyncEvent;

/**
 * Receives the events the HCA writes to its event queue. Called at DISPATCH on the completion
 * pool, in order per HCA; must not block.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface HardwareEventHandler {
    /** An armed CQ got a completion (it is disarmed until armed again). */
    void completionEvent(int cqn);

    /** Port state changes, QP and CQ errors, catastrophic errors. */
    void asyncEvent(AsyncEvent event);
}
