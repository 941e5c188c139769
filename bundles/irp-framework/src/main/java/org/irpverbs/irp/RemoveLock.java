package org.irpverbs.irp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code IO_REMOVE_LOCK}: counts the requests a device has admitted and not yet finished, refuses
 * new ones once removal begins, and signals when the last one has left. The framework acquires it
 * for every non-PnP request passed to a device and releases it when the request's stack location
 * for that device unwinds, so "REMOVE waits for requests in flight" needs no driver code.
 *
 * <p>Two monotonic counters (entered, exited) instead of one in-flight count keep the hot path at
 * one atomic add each way and give the statistics for free. Waiting for the drain never blocks a
 * thread: {@link #beginRemove(int, Runnable)} takes a callback.
 *
 * <p>Thread-safe and lock-free.
 */
public final class RemoveLock {
    private static final VarHandle ENTERED;
    private static final VarHandle EXITED;
    private static final VarHandle DRAIN_FIRED;
    private static final VarHandle REFERENCES;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ENTERED = lookup.findVarHandle(RemoveLock.class, "entered", long.class);
            EXITED = lookup.findVarHandle(RemoveLock.class, "exited", long.class);
            DRAIN_FIRED = lookup.findVarHandle(RemoveLock.class, "drainFired", int.class);
            REFERENCES = lookup.findVarHandle(RemoveLock.class, "references", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile long entered;
    // keep the two counters on different cache lines: entering and leaving threads differ
    @SuppressWarnings("unused")
    private long p1, p2, p3, p4, p5, p6, p7;
    private volatile long exited;
    /**
     * Holds on the device that are not requests (a completion routine set with
     * {@link Irp#setCompletionRoutineEx}): they hold off the drain like requests but are not
     * counted in the statistics.
     */
    private volatile long references;
    /** SUCCESS while admitting; otherwise the status refused requests complete with. */
    private volatile int refuseStatus = NtStatus.SUCCESS;
    private volatile boolean draining;
    private volatile int drainFired;
    private volatile Runnable onDrained;
    private final CountDownLatch drained = new CountDownLatch(1);

    /** {@code IoAcquireRemoveLock}: SUCCESS, or the status to fail the request with. */
    public int acquire() {
        ENTERED.getAndAdd(this, 1L);
        int refuse = refuseStatus;
        if (refuse != NtStatus.SUCCESS) {
            release();
            return refuse;
        }
        return NtStatus.SUCCESS;
    }

    /** {@code IoReleaseRemoveLock}. */
    public void release() {
        long out = (long) EXITED.getAndAdd(this, 1L) + 1;
        if (draining && out == entered && references == 0) {
            fireDrained();
        }
    }

    /**
     * Takes a hold that is not a request: SUCCESS, or the refusal status once removal began. Each
     * side of the drain check updates its own counter atomically and then reads the other's, so
     * whichever of the last request and the last reference leaves second sees both at zero.
     */
    int acquireReference() {
        REFERENCES.getAndAdd(this, 1L);
        int refuse = refuseStatus;
        if (refuse != NtStatus.SUCCESS) {
            releaseReference();
            return refuse;
        }
        return NtStatus.SUCCESS;
    }

    void releaseReference() {
        long left = (long) REFERENCES.getAndAdd(this, -1L) - 1;
        if (draining && left == 0 && exited == entered) {
            fireDrained();
        }
    }

    /** Requests admitted and not yet finished. */
    public long inFlight() {
        long out = exited;
        return entered - out;
    }

    /** Requests that have left (completed, failed, cancelled, or refused). */
    public long finished() {
        return exited;
    }

    /**
     * Refuses new requests with {@code status} (e.g. {@link NtStatus#DEVICE_REMOVED} after a
     * surprise removal) without waiting for the ones in flight.
     */
    public void refuse(int status) {
        if (NtStatus.isSuccess(status)) {
            throw new IllegalArgumentException("refusal status must be an error, was " + NtStatus.name(status));
        }
        refuseStatus = status;
    }

    /** Admits requests again (after a cancelled removal). */
    public void admit() {
        if (!draining) {
            refuseStatus = NtStatus.SUCCESS;
        }
    }

    /** SUCCESS while admitting, else the status new requests are refused with. */
    public int refuseStatus() {
        return refuseStatus;
    }

    /** True once new requests are refused. */
    public boolean isRefusing() {
        return refuseStatus != NtStatus.SUCCESS;
    }

    /**
     * {@code IoReleaseRemoveLockAndWait} without the wait: refuses new requests with
     * {@code status} and runs {@code whenDrained} once, on the thread that finishes the last
     * request in flight or runs the last completion routine holding the device (at DISPATCH), or
     * right here if there is none.
     */
    public void beginRemove(int status, Runnable whenDrained) {
        refuse(status);
        onDrained = whenDrained;
        draining = true;
        long out = exited;
        if (out == entered && references == 0) {
            fireDrained();
        }
    }

    /** Waits at PASSIVE until a removal has drained; false on timeout. */
    public boolean awaitDrained(long timeout, TimeUnit unit) throws InterruptedException {
        BlockingDetector.checkMayBlock("RemoveLock.awaitDrained");
        return drained.await(timeout, unit);
    }

    private void fireDrained() {
        if (DRAIN_FIRED.compareAndSet(this, 0, 1)) {
            drained.countDown();
            Runnable r = onDrained;
            onDrained = null;
            if (r != null) {
                r.run();
            }
        }
    }
}
