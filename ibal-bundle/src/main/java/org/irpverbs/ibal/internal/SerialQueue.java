package org.irpverbs.ibal.internal;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.SpinLock;

/**
 * IBAL's one ordering mechanism: operations (an HCA arriving or leaving, a client registering or
 * unregistering, a CA event) run one after another, each a chain of request completions, and the
 * next starts when the previous one's stage completes. This is what gives the client contract its
 * order (add in registration order, remove in reverse, the unregister fence) without a lock held
 * across a callback and without a thread that waits: the queue itself is a list, and it is driven
 * by DPCs on the I/O manager's completion pool (docs/architecture.md section 7), as the PnP
 * manager's queue is.
 *
 * <p>Thread-safe; {@link #enqueue} never blocks and may be called at DISPATCH.
 */
final class SerialQueue {
    private final IoManager io;
    private final SpinLock lock = new SpinLock();
    private final ArrayDeque<Supplier<CompletionStage<?>>> queue = new ArrayDeque<>();
    private boolean busy;
    private final Runnable runNext = this::runNext;

    SerialQueue(IoManager io) {
        this.io = io;
    }

    /** Queues an operation; the returned stage completes with the operation's own stage. */
    <T> CompletableFuture<T> enqueue(Supplier<? extends CompletionStage<T>> operation) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Supplier<CompletionStage<?>> step = () -> {
            CompletionStage<T> stage;
            try {
                stage = operation.get();
            } catch (RuntimeException e) {
                DriverVerifier.report("IBAL operation threw " + e);
                stage = CompletableFuture.failedFuture(e);
            }
            return stage.whenComplete((value, failure) -> {
                if (failure != null) {
                    result.completeExceptionally(failure);
                } else {
                    result.complete(value);
                }
            });
        };
        boolean start;
        lock.lock();
        try {
            queue.add(step);
            start = !busy;
            busy = true;
        } finally {
            lock.unlock();
        }
        if (start) {
            io.queueDpc(runNext);
        }
        return result;
    }

    private void runNext() {
        Supplier<CompletionStage<?>> step;
        lock.lock();
        try {
            step = queue.poll();
            if (step == null) {
                busy = false;
                return;
            }
        } finally {
            lock.unlock();
        }
        // the next operation starts on a fresh DPC: a long chain of synchronously completed
        // stages never grows one thread's stack
        step.get().whenComplete((v, f) -> io.queueDpc(runNext));
    }

    static CompletableFuture<Void> done() {
        return CompletableFuture.completedFuture(null);
    }
}
