package org.irpverbs.irp;

import java.util.function.Predicate;

/**
 * A cancel-safe queue of pending requests ({@code IoCsq}): a doubly linked list through the
 * requests themselves (queueing allocates nothing), guarded by a {@link SpinLock}, so it may be
 * used at DISPATCH. A queued request can be cancelled at any moment; the race between a cancel
 * and a driver removing the request is settled by the atomic exchange of the cancel routine:
 * whichever side clears it owns the request, and the other side never touches it.
 * <ul>
 * <li>{@link #insert(Irp)} marks the request pending and queues it, or completes it at once with
 * its cancel status if it was already cancelled, or with CANCELLED if its handle is closing
 * ({@link FileObject#isClosing()}: CLEANUP flushed this queue already);</li>
 * <li>{@link #removeNext()} / {@link #removeFirst(Predicate)} hand a request to the driver, which
 * must complete it;</li>
 * <li>a cancel unlinks the request and completes it with {@link Irp#cancelStatus()};</li>
 * <li>{@link #flush(int)} completes everything queued with one status (surprise removal).</li>
 * </ul>
 * Every queue belongs to a device; the framework flushes it when the device is surprise-removed or
 * removed, and removes a closing file object's requests from it on CLEANUP.
 *
 * <p>Thread-safe.
 */
public final class CancelSafeQueue {
    private final DeviceObject device;
    private final String name;
    private final SpinLock lock = new SpinLock();
    private Irp head;
    private Irp tail;
    private int size;

    private final CancelRoutine cancelRoutine = (dev, irp) -> {
        lock.lock();
        try {
            unlink(irp);
        } finally {
            lock.unlock();
        }
        irp.complete(irp.cancelStatus());
    };

    /** Creates a queue owned by {@code device}; the framework flushes it on removal. */
    public CancelSafeQueue(DeviceObject device, String name) {
        this.device = device;
        this.name = name;
        device.addQueue(this);
    }

    public String name() {
        return name;
    }

    public DeviceObject device() {
        return device;
    }

    /**
     * Queues a request that the current layer owns, marking it pending. Returns
     * {@link NtStatus#PENDING}, which the dispatch routine returns; if the request was already
     * cancelled it is completed here and its cancel status returned instead.
     */
    public int insert(Irp irp) {
        if (irp.queueOwner != null) {
            throw new IllegalStateException(DriverVerifier.report("request inserted into " + name + " while queued in "
                    + irp.queueOwner.name));
        }
        irp.markPending();
        lock.lock();
        boolean completeNow = false;
        int status = NtStatus.PENDING;
        try {
            int refused = device.removeLock().refuseStatus();
            if (refused != NtStatus.SUCCESS) {
                // the device is being removed: queued requests were flushed, so this one must not wait
                completeNow = true;
                status = refused;
            } else if (ofAClosingHandle(irp)) {
                // close() marked the handle before it flushed this queue under this lock: a request
                // that arrives now would outlive its handle's CLEANUP and CLOSE
                completeNow = true;
                status = NtStatus.CANCELLED;
            } else {
                irp.setCancelRoutine(cancelRoutine);
                if (irp.isCancelled() && irp.setCancelRoutine(null) != null) {
                    // cancelled before we armed the routine, and no cancel is running: ours to complete
                    completeNow = true;
                } else {
                    // queued; if a cancel already took the routine, it waits for our lock and unlinks it
                    link(irp);
                }
            }
        } finally {
            lock.unlock();
        }
        if (completeNow) {
            if (status == NtStatus.PENDING) {
                status = irp.cancelStatus();
            }
            irp.complete(status);
            return status;
        }
        return NtStatus.PENDING;
    }

    /** A request on a handle whose close began (CLEANUP and CLOSE themselves excepted). */
    private static boolean ofAClosingHandle(Irp irp) {
        IoStackLocation loc = irp.currentLocation();
        FileObject file = loc.fileObject();
        return file != null && file.isClosing() && loc.majorFunction() != MajorFunction.CLEANUP
                && loc.majorFunction() != MajorFunction.CLOSE;
    }

    /** Removes the oldest request that is not being cancelled, or returns null. */
    public Irp removeNext() {
        return removeFirst(null);
    }

    /** Removes the oldest request matching {@code filter} (null: any) that is not being cancelled. */
    public Irp removeFirst(Predicate<Irp> filter) {
        lock.lock();
        try {
            for (Irp irp = head; irp != null; irp = irp.queueNext) {
                if (filter != null && !filter.test(irp)) {
                    continue;
                }
                if (irp.setCancelRoutine(null) != null) {
                    unlink(irp);
                    return irp;
                }
                // a cancel owns this one and will unlink it as soon as it gets the lock
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes {@code irp} itself if it is queued here and not being cancelled (Windows'
     * {@code IoCsqRemoveIrp} with the request's context): constant time, where
     * {@link #removeFirst} with an identity filter scans the queue. A driver that answers a known
     * request when its lower request completes uses this; with many requests queued the scan was
     * most of IBAL's own cost per forwarded verb (docs/BENCHMARKS.md).
     *
     * @return {@code irp}, now owned by the caller, or null if it is not here (completed, flushed
     *         or taken by a cancel, which completes it)
     */
    public Irp remove(Irp irp) {
        lock.lock();
        try {
            if (irp.queueOwner != this || irp.setCancelRoutine(null) == null) {
                return null; // not queued here, or a cancel owns it and will unlink it once it gets the lock
            }
            unlink(irp);
            return irp;
        } finally {
            lock.unlock();
        }
    }

    /** Completes every queued request matching {@code filter} (null: all) with {@code status}; returns how many. */
    public int flush(int status, Predicate<Irp> filter) {
        int count = 0;
        Irp irp;
        while ((irp = removeFirst(filter)) != null) {
            irp.complete(status);
            count++;
        }
        return count;
    }

    /** Completes every queued request with {@code status}; returns how many. */
    public int flush(int status) {
        return flush(status, null);
    }

    public int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Unlinks a request whose cancel routine the framework cleared because its dispatch routine
     * threw after queueing it: the framework completes it instead of leaving it queued.
     */
    void takeBack(Irp irp) {
        lock.lock();
        try {
            unlink(irp);
        } finally {
            lock.unlock();
        }
    }

    private void link(Irp irp) {
        irp.queueOwner = this;
        irp.queueNext = null;
        irp.queuePrev = tail;
        if (tail == null) {
            head = irp;
        } else {
            tail.queueNext = irp;
        }
        tail = irp;
        size++;
    }

    private void unlink(Irp irp) {
        if (irp.queueOwner != this) {
            return;
        }
        Irp prev = irp.queuePrev;
        Irp next = irp.queueNext;
        if (prev == null) {
            head = next;
        } else {
            prev.queueNext = next;
        }
        if (next == null) {
            tail = prev;
        } else {
            next.queuePrev = prev;
        }
        irp.queueNext = null;
        irp.queuePrev = null;
        irp.queueOwner = null;
        size--;
    }
}
