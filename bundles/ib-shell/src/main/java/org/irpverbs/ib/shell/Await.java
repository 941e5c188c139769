package org.irpverbs.ib.shell;

import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.irpverbs.irp.IoStatusException;
import org.osgi.util.promise.Promise;

/**
 * Waits for a verb's promise on the shell's thread, which runs at PASSIVE and may block. A verb
 * that does not complete within {@value #SECONDS} s, or fails, becomes an exception whose message
 * says which verb and why (the HCA's reason, as {@code VerbsRequest.error()} carries it).
 *
 * <p>The wait is a latch counted down by the promise's callback, not {@code Promise.timeout}: that
 * timer is cancelled on the thread that resolves the promise, a DPC at DISPATCH, and cancelling
 * takes the scheduler's queue lock, which may make the DPC wait.
 */
final class Await {
    static final long SECONDS = 30;

    private Await() {}

    static <T> T value(Promise<T> promise, String what) {
        CountDownLatch resolved = new CountDownLatch(1);
        promise.onResolve(resolved::countDown);
        try {
            if (!resolved.await(SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException(what + " did not complete within " + SECONDS + " s");
            }
            return promise.getValue();
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IoStatusException status) {
                throw new IllegalStateException(what + " failed: " + status.getMessage());
            }
            throw new IllegalStateException(what + " failed: " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " was interrupted");
        }
    }
}
