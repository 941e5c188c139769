package org.irpverbs.irp;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Events delivered the IRP way (claim 2 of docs/architecture.md section 1), as an HCA's
 * GET_ASYNC_EVENT or an access layer's per-client event requests: a request waits in a
 * cancel-safe queue of the device it was sent to until an event completes it;
 * events that come while none waits are kept in a bounded ring ({@value #CAPACITY}; the oldest is
 * dropped and counted when it is full) and handed to the next request. The same pairing as the HCA's
 * a request is queued before it looks at the ring again, an event is put in the ring before it looks
 * for a request, and both sides then pair what they find, so no wake-up is lost without a lock
 * around both sides; completion never happens under the lock, so a client may send its next
 * request from the completion of the previous one.
 *
 * <p>Thread-safe; never blocks.
 *
 * @param <E> the event type
 */
public final class PendingEventQueue<E> {
    /** Events kept while no request waits. */
    public static final int CAPACITY = 64;

    private final CancelSafeQueue waiting;
    private final BiConsumer<Irp, E> deliver;
    private final SpinLock ringLock = new SpinLock();
    private final ArrayDeque<E> ring = new ArrayDeque<>(CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private volatile int closedStatus = NtStatus.SUCCESS;

    /**
     * @param device  owns the queue (the framework fails what waits when the device is removed)
     * @param deliver puts an event into a request's argument before it completes with success
     */
    public PendingEventQueue(DeviceObject device, String name, BiConsumer<Irp, E> deliver) {
        this.waiting = new CancelSafeQueue(device, name);
        this.deliver = deliver;
    }

    /** Dispatch of a request for the next event: completes at once with a kept event, or waits; returns its status. */
    public int request(Irp irp) {
        int closed = closedStatus;
        if (closed != NtStatus.SUCCESS) {
            irp.complete(closed);
            return closed;
        }
        E kept = poll();
        if (kept != null) {
            deliver.accept(irp, kept);
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

    /** An event (at DISPATCH or PASSIVE). */
    public void raise(E event) {
        if (closedStatus != NtStatus.SUCCESS) {
            return;
        }
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

    /** No more events: what waits completes with {@code status}, and so does every later request. */
    public void close(int status) {
        closedStatus = status;
        ringLock.lock();
        try {
            ring.clear();
        } finally {
            ringLock.unlock();
        }
        waiting.flush(status);
    }

    private void pair() {
        while (queued() > 0) {
            Irp irp = waiting.removeNext();
            if (irp == null) {
                return;
            }
            E event = poll();
            if (event == null) {
                // another pairing took the event between our two looks: the request waits again
                waiting.insert(irp);
                return;
            }
            deliver.accept(irp, event);
            irp.complete(NtStatus.SUCCESS);
        }
    }

    /**
     * Completes every waiting request with {@code status} (each after {@code before} ran on it,
     * e.g. to say why), without closing: later requests are served as before.
     */
    public void failWaiting(int status, Consumer<Irp> before) {
        Irp irp;
        while ((irp = waiting.removeNext()) != null) {
            before.accept(irp);
            irp.complete(status);
        }
    }

    /**
     * {@link #close} for good: the queue is also taken off its device's list of queues the
     * framework flushes, so a device that outlives many short-lived clients does not keep one
     * queue per client. Later requests still complete with {@code status}.
     */
    public void dispose(int status) {
        close(status);
        waiting.device().removeQueue(waiting);
    }

    /** Serves requests again after {@link #close} (a new driver stack on the same device). */
    public void reopen() {
        closedStatus = NtStatus.SUCCESS;
    }

    private E poll() {
        ringLock.lock();
        try {
            return ring.pollFirst();
        } finally {
            ringLock.unlock();
        }
    }

    public int queued() {
        ringLock.lock();
        try {
            return ring.size();
        } finally {
            ringLock.unlock();
        }
    }

    public int waiting() {
        return waiting.size();
    }

    public long dropped() {
        return dropped.get();
    }
}
