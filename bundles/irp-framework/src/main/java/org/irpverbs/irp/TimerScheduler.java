package org.irpverbs.irp;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The manager's timers and DPCs seen as a {@link ScheduledExecutorService}, for the promise
 * factory's {@code timeout()} and {@code delay()}. A JDK scheduled executor takes a queue lock to
 * schedule and to cancel, and promise timeouts are cancelled on the thread that resolves the
 * promise — a DPC at DISPATCH here — so a contended lock there would block. These timers arm and
 * cancel lock-free. A timed task runs as the timer's own DPC on the completion pool; an
 * {@link #execute} task is queued to the same pool. Shutting down is the manager's business:
 * {@link #shutdown()} only stops accepting work.
 */
final class TimerScheduler extends AbstractExecutorService implements ScheduledExecutorService {
    private final Timers timers;
    /** The completion pool the timers queue their DPCs to; {@link #execute} uses it too. */
    private final DpcPool dpcs;
    private volatile boolean shutdown;

    TimerScheduler(Timers timers, DpcPool dpcs) {
        this.timers = timers;
        this.dpcs = dpcs;
    }

    /** A timer-backed future; periodic ones re-arm after each run. */
    private final class TimerFuture<V> extends FutureTask<V> implements ScheduledFuture<V> {
        private volatile long deadline;
        private final long periodNanos;
        private final boolean fixedRate;
        private volatile Cancellable timer;

        TimerFuture(Callable<V> task, long delayNanos) {
            super(task);
            this.deadline = System.nanoTime() + delayNanos;
            this.periodNanos = 0;
            this.fixedRate = false;
        }

        TimerFuture(Runnable task, long delayNanos, long periodNanos, boolean fixedRate) {
            super(task, null);
            this.deadline = System.nanoTime() + delayNanos;
            this.periodNanos = periodNanos;
            this.fixedRate = fixedRate;
        }

        void arm() {
            // the timer's DPC is the task itself: no second hop through the pool
            timer = timers.schedule(Math.max(0, deadline - System.nanoTime()), this);
        }

        @Override
        public void run() {
            if (periodNanos == 0) {
                super.run();
            } else if (runAndReset() && !shutdown) {
                deadline = fixedRate ? deadline + periodNanos : System.nanoTime() + periodNanos;
                arm();
            }
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(false);
            Cancellable t = timer;
            if (cancelled && t != null) {
                t.cancel();
            }
            return cancelled;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }
    }

    private <V> TimerFuture<V> start(TimerFuture<V> future) {
        if (shutdown) {
            throw new java.util.concurrent.RejectedExecutionException("the I/O manager's scheduler is shut down");
        }
        future.arm();
        return future;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return start(new TimerFuture<>(java.util.concurrent.Executors.callable(command), unit.toNanos(delay)));
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        return start(new TimerFuture<>(callable, unit.toNanos(delay)));
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        if (period <= 0) {
            throw new IllegalArgumentException("period must be positive, was " + period);
        }
        return start(new TimerFuture<>(command, unit.toNanos(initialDelay), unit.toNanos(period), true));
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        if (delay <= 0) {
            throw new IllegalArgumentException("delay must be positive, was " + delay);
        }
        return start(new TimerFuture<>(command, unit.toNanos(initialDelay), unit.toNanos(delay), false));
    }

    @Override
    public void execute(Runnable command) {
        if (shutdown) {
            throw new java.util.concurrent.RejectedExecutionException("the I/O manager's scheduler is shut down");
        }
        dpcs.queue(command);
    }

    @Override
    public void shutdown() {
        shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
        shutdown = true;
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return shutdown;
    }
}
