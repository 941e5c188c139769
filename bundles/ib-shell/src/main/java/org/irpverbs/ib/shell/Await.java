package org.irpverbs.ib.shell;

import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.irpverbs.irp.IoStatusException;
import org.osgi.util.promise.Promise;

/**
 * Waits for a verb's promise on the shell's thread, which runs at PASSIVE and may block. A verb
 * that does not complete within {@value #SECONDS} s, or fails, becomes an exception whose message
 * says which verb and why (the HCA's reason, as {@code VerbsRequest.error()} carries it). An
 * interrupt of the waiting thread (Ctrl-C) ends the wait with {@link Interrupted}, except in
 * {@link #releasing}, which a command uses to release what it made whatever happens.
 *
 * <p>The wait is a latch counted down by the promise's callback, not {@code Promise.timeout}: that
 * timer is cancelled on the thread that resolves the promise, a DPC at DISPATCH, and cancelling
 * takes the scheduler's queue lock, which may make the DPC wait.
 */
final class Await {
    static final long SECONDS = 30;

    private Await() {}

    /**
     * The promise's value.
     *
     * @throws Interrupted if the thread is interrupted while waiting (its interrupt status consumed)
     * @throws IllegalStateException if the verb fails or does not complete in time
     */
    static <T> T value(Promise<T> promise, String what) {
        CountDownLatch resolved = new CountDownLatch(1);
        promise.onResolve(resolved::countDown);
        try {
            if (!resolved.await(SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException(what + " did not complete within " + SECONDS + " s");
            }
        } catch (InterruptedException e) {
            throw new Interrupted("waiting for " + what);
        }
        return valueOf(promise, what);
    }

    /**
     * As {@link #value}, but an interrupt does not end the wait: releasing what a command made must
     * finish even when the command was interrupted. The interrupt status is set again afterwards.
     */
    static <T> T releasing(Promise<T> promise, String what) {
        CountDownLatch resolved = new CountDownLatch(1);
        promise.onResolve(resolved::countDown);
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        try {
            while (true) {
                try {
                    if (!resolved.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                        throw new IllegalStateException(what + " did not complete within " + SECONDS + " s");
                    }
                    // read before the interrupt status is set again: getValue checks it
                    return valueOf(promise, what);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static <T> T valueOf(Promise<T> promise, String what) {
        try {
            return promise.getValue();
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IoStatusException status) {
                throw new IllegalStateException(what + " failed: " + status.getMessage());
            }
            throw new IllegalStateException(what + " failed: " + cause, cause);
        } catch (InterruptedException e) {
            // resolved, so getValue does not wait, but it throws if the thread was interrupted since
            throw new Interrupted("waiting for " + what);
        }
    }
}
