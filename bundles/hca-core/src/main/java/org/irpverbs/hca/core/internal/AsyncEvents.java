package org.irpverbs.hca.core.internal;

import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.PendingEventQueue;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.VerbsRequest;

/**
 * GET_ASYNC_EVENT: a request waits until the HCA's next asynchronous event completes it; events
 * that arrive while no request waits are kept ({@value PendingEventQueue#CAPACITY}; when full the
 * oldest is dropped and counted) and handed to the next request. The pairing is the framework's
 * {@link PendingEventQueue}.
 *
 * <p>Thread-safe; never blocks.
 */
final class AsyncEvents {
    static final int CAPACITY = PendingEventQueue.CAPACITY;

    private final PendingEventQueue<AsyncEvent> queue;

    AsyncEvents(DeviceObject fdo) {
        this.queue = new PendingEventQueue<>(fdo, fdo.name() + " async events",
                (irp, event) -> ((VerbsRequest.GetAsyncEvent) irp.currentLocation().argument()).setResult(event));
    }

    /** Dispatch of GET_ASYNC_EVENT: completes at once with a kept event, or waits. */
    int request(Irp irp, VerbsRequest.GetAsyncEvent request) {
        return queue.request(irp);
    }

    /** An event from the hardware (at DISPATCH). */
    void raise(AsyncEvent event) {
        queue.raise(event);
    }

    /** Completes every waiting request with {@code status} and says why (a catastrophic error). */
    void failWaiting(int status, String why) {
        queue.failWaiting(status, irp -> ((VerbsRequest<?>) irp.currentLocation().argument()).setError(why));
    }

    int queued() {
        return queue.queued();
    }

    int waiting() {
        return queue.waiting();
    }

    long dropped() {
        return queue.dropped();
    }
}
