package org.irpverbs.ibal.internal;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.irpverbs.irp.CancelSafeQueue;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.SpinLock;

/**
 * One client's events, delivered the IRP way (claim 2 of docs/architecture.md section 1): a
 * request waits in a cancel-safe queue of the device it was sent to until an event completes it;
 * events that come while none waits are kept in a bounded ring ({@value #CAPACITY}; the oldest is
 * dropped and counted when it is full) and handed to the next request. The same pairing as the HCA's
 * own GET_ASYNC_EVENT queue: a request is queued before it looks at the ring again, an event is put
 * in the ring before it looks for a request, and completion never happens under the lock.
 *
 * <p>Thread-safe; never blocks.
 *
 * @param <E> the event type
 */
final class EventQueue<E> {
    static final int CAPACITY = 64;

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
    EventQueue(DeviceObject device, String name, BiConsumer<Irp, E> deliver) {
        this.waiting = new CancelSafeQueue(device, name);
        this.deliver = deliver;
    }

    /** Dispatch of a request for the next event: completes at once with a kept event, or waits. */
    int request(Irp irp) {
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

    /** An event for this client (at DISPATCH). */
    void raise(E event) {
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
    void close(int status) {
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

    /** Serves requests again after {@link #close} (a new driver stack on the same device). */
    void reopen() {
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
