package org.irpverbs.benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A dedicated daemon thread that stands in for a completion source on another core (an interrupt
 * handler or a polling completion thread): it spins on a single volatile slot and runs an action
 * on each item handed to it. The hand-off is lock-free and never parks, so the cross-thread
 * benchmarks measure cache-line transfer, not the scheduler.
 *
 * <p>One producer, one consumer: the producer must not hand a new item over until the previous one
 * has been acted on (the benchmarks wait for the completion before sending again). The slot is
 * cleared before the action runs, so once the producer has seen the completion the slot is free.
 */
final class SpinningCompleter<T> {
    /** How long anything in these benchmarks may spin before it is declared hung. */
    static final long SPIN_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Consumer<T> action;
    private final Thread thread;
    private volatile T slot;
    private volatile boolean running = true;
    private volatile Throwable failure;

    SpinningCompleter(String name, Consumer<T> action) {
        this.action = action;
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Hands {@code item} to the completer thread (a single volatile write). */
    void handOff(T item) {
        slot = item;
    }

    private void run() {
        try {
            int idle = 0;
            while (running) {
                T item = slot;
                if (item == null) {
                    if (++idle < YIELD_AFTER) {
                        Thread.onSpinWait();
                    } else {
                        Thread.yield(); // between iterations, or starved: let the other thread run
                    }
                    continue;
                }
                idle = 0;
                slot = null;
                action.accept(item);
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    /** Null while the thread is healthy; otherwise what killed it. */
    Throwable failure() {
        return failure;
    }

    /** Stops the thread and waits (boundedly) for it to end. */
    void stop() throws InterruptedException {
        running = false;
        thread.join(TimeUnit.NANOSECONDS.toMillis(SPIN_LIMIT_NANOS));
        if (thread.isAlive()) {
            throw new IllegalStateException(thread.getName() + " did not stop within 10 s");
        }
    }

    /**
     * Busy-wait rounds before a waiter falls back to {@link Thread#yield()}. A hand-off on an idle
     * machine takes a few hundred nanoseconds, far fewer rounds; the fallback only matters when
     * more threads are runnable than there are cores (this machine has two), where a pure spinner
     * would hold its core for a whole scheduler quantum while the thread it waits for cannot run.
     * Neither side ever parks or blocks.
     */
    static final int YIELD_AFTER = 1 << 10;

    /**
     * One round of a bounded busy-wait. Call as
     * {@code while (!done) start = pause(++spins, start, ...)}; {@code start} stays 0 (no clock
     * read) until the wait has become long, and a wait of more than 10 s throws.
     */
    static long pause(int spins, long start, String waitingFor, SpinningCompleter<?> completer) {
        if (spins < YIELD_AFTER) {
            Thread.onSpinWait();
            return start;
        }
        Thread.yield();
        if ((spins & 0x3FF) == 0) {
            if (start == 0) {
                return System.nanoTime();
            }
            checkSpin(start, waitingFor, completer);
        }
        return start;
    }

    /** Fails a spin that has gone on for longer than {@link #SPIN_LIMIT_NANOS}. */
    static void checkSpin(long startNanos, String waitingFor, SpinningCompleter<?> completer) {
        if (System.nanoTime() - startNanos > SPIN_LIMIT_NANOS) {
            Throwable cause = completer == null ? null : completer.failure();
            throw new IllegalStateException("no " + waitingFor + " after 10 s"
                    + (cause == null ? "" : " (the completer thread died: " + cause + ")"), cause);
        }
    }
}
