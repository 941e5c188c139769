package org.irpverbs.irp;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Operations that must not overlap, run one after another without a thread that waits: each is a
 * chain of request completions returning a stage, and the next starts (on a fresh DPC) when the
 * previous one's stage completes. The queue itself is a list driven by DPCs on the I/O manager's
 * completion pool (docs/architecture.md section 7). The PnP manager orders all PnP work with one;
 * an access layer orders HCA arrivals, client registrations and events with another.
 *
 * <p>Thread-safe; {@link #enqueue} never blocks and may be called at DISPATCH.
 */
public final class SerialQueue {
    private final IoManager io;
    private final String name;
    private final SpinLock lock = new SpinLock();
    private final ArrayDeque<Supplier<CompletionStage<?>>> queue = new ArrayDeque<>();
    private boolean busy;
    private final Runnable runNext = this::runNext;

    /** @param name names the queue's operations in {@link DriverVerifier} reports */
    public SerialQueue(IoManager io, String name) {
        this.io = io;
        this.name = name;
    }

    /** Queues an operation; the returned stage completes with the operation's own stage. */
    public <T> CompletableFuture<T> enqueue(Supplier<? extends CompletionStage<T>> operation) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Supplier<CompletionStage<?>> step = () -> {
            CompletionStage<T> stage;
            try {
                stage = operation.get();
            } catch (RuntimeException e) {
                DriverVerifier.report(name + " operation threw " + e);
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

    /** A completed stage, for operations with nothing to do. */
    public static CompletableFuture<Void> done() {
        return CompletableFuture.completedFuture(null);
    }
}
