package org.irpverbs.ib.shell;

import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.CompletionStage;
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
 * <p>The wait is a latch counted down by the promise's callback, not {@code Promise.timeout}: a
 * verb's promise is not always the I/O manager's (a verb refused before it is sent has a plain
 * resolved one), and a latch bounds the wait for any implementation, leaving no timer armed.
 */
final class Await {
    static final long SECONDS = 30;

    /**
     * Test seam: runs on the waiting thread in {@link #releasing} between the wait's end and the
     * read of the value, where a second Ctrl-C can land (Gogo interrupts a job's pipe more than once).
     */
    static volatile Runnable beforeReleasingReadsTheValue = () -> {};

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
            return valueOf(promise, what);
        } catch (InterruptedException e) {
            throw new Interrupted("waiting for " + what);
        }
    }

    /**
     * Waits for {@code latch} (counted down by work elsewhere).
     *
     * @throws Interrupted if the thread is interrupted while waiting
     * @throws IllegalStateException if it is not counted down in time
     */
    static void latch(CountDownLatch latch, String what) {
        try {
            if (!latch.await(SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException(what + " did not get to it within " + SECONDS + " s");
            }
        } catch (InterruptedException e) {
            throw new Interrupted("waiting for " + what);
        }
    }

    /** Waits for a stage to complete (its outcome does not matter), as {@link #latch}. */
    static void stage(CompletionStage<?> stage, String what) {
        CountDownLatch done = new CountDownLatch(1);
        stage.whenComplete((v, f) -> done.countDown());
        latch(done, what);
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
                    beforeReleasingReadsTheValue.run();
                    // getValue of a resolved promise still throws if an interrupt came since the
                    // await: that is an interrupt like any other here, not a failed verb, or an
                    // object the verb made would be taken for nothing made and leak
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

    /**
     * The value of a resolved promise. {@code getValue} does not wait then, but it throws
     * {@link InterruptedException} if the thread was interrupted since: each caller decides what an
     * interrupt means.
     */
    private static <T> T valueOf(Promise<T> promise, String what) throws InterruptedException {
        try {
            return promise.getValue();
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IoStatusException status) {
                throw new IllegalStateException(what + " failed: " + status.getMessage());
            }
            throw new IllegalStateException(what + " failed: " + cause, cause);
        }
    }
}
