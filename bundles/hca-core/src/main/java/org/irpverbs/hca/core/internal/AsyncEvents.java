package org.irpverbs.hca.core.internal;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import org.irpverbs.irp.CancelSafeQueue;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.SpinLock;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.VerbsRequest;

/**
 * GET_ASYNC_EVENT: a request waits in a cancel-safe queue until the HCA's next asynchronous event,
 * which completes it; events that arrive while no request waits are kept in a bounded ring
 * ({@value #CAPACITY}; when full the oldest is dropped and counted) and handed to the next request.
 *
 * <p>No lost wake-up without a lock around both sides: a request is queued before it looks at the
 * ring again, an event is put in the ring before it looks for a waiting request, and both sides
 * then pair what they find ({@link #pair()}). Completion never happens under a lock, so a client
 * may send its next GET_ASYNC_EVENT from the completion of the previous one.
 *
 * <p>Thread-safe; never blocks.
 */
final class AsyncEvents {
    static final int CAPACITY = 64;

    private final CancelSafeQueue waiting;
    private final SpinLock ringLock = new SpinLock();
    private final ArrayDeque<AsyncEvent> ring = new ArrayDeque<>(CAPACITY);
    private final AtomicLong dropped = new AtomicLong();

    AsyncEvents(DeviceObject fdo) {
        this.waiting = new CancelSafeQueue(fdo, fdo.name() + " async events");
    }

    /** Dispatch of GET_ASYNC_EVENT: completes at once with a kept event, or waits. */
    int request(Irp irp, VerbsRequest.GetAsyncEvent request) {
        AsyncEvent kept = poll();
        if (kept != null) {
            request.setResult(kept);
            irp.complete(NtStatus.SUCCESS);
            return NtStatus.SUCCESS;
        }
        int status = waiting.insert(irp);
        if (status != NtStatus.PENDING) {
            return status;
        }
        pair();
        return NtStatus.PENDING;
    }

    /** An event from the hardware (at DISPATCH). */
    void raise(AsyncEvent event) {
        ringLock.lock();
        try {
            if (ring.size() == CAPACITY) {
                ring.pollFirst();
                dropped.incrementAndGet();
            }
            ring.addLast(event);
        } finally {
            ringLock.unlock();
        }
        pair();
    }

    /** Completes every waiting request with {@code status} and says why (a catastrophic error). */
    void failWaiting(int status, String why) {
        Irp irp;
        while ((irp = waiting.removeNext()) != null) {
            ((VerbsRequest<?>) irp.currentLocation().argument()).setError(why);
            irp.complete(status);
        }
    }

    /** Hands kept events to waiting requests while both exist. */
    private void pair() {
        while (queued() > 0) {
            Irp irp = waiting.removeNext();
            if (irp == null) {
                return;
            }
            AsyncEvent event = poll();
            if (event == null) {
                // another pairing took the event between our two looks: the request waits again
                waiting.insert(irp);
                return;
            }
            ((VerbsRequest.GetAsyncEvent) irp.currentLocation().argument()).setResult(event);
            irp.complete(NtStatus.SUCCESS);
        }
    }

    private AsyncEvent poll() {
        ringLock.lock();
        try {
            return ring.pollFirst();
        } finally {
            ringLock.unlock();
        }
    }

    int queued() {
        ringLock.lock();
        try {
            return ring.size();
        } finally {
            ringLock.unlock();
        }
    }

    int waiting() {
        return waiting.size();
    }

    long dropped() {
        return dropped.get();
    }
}
