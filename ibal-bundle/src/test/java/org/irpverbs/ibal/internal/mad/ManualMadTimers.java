package org.irpverbs.ibal.internal.mad;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.irpverbs.irp.Cancellable;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.SpinLock;

/**
 * Response timers that expire only when the test says so: {@link #expireAll()} queues the routine
 * of every armed, uncancelled timer as a DPC, as the I/O manager's timer thread would at its
 * deadline. A timeout is then a step of the test, never a race with the machine's load.
 *
 * <p>Thread-safe: timers are armed at DISPATCH (synchronized only with the test thread's
 * {@link #expireAll}, for a few instructions, never while a routine runs).
 */
final class ManualMadTimers implements MadTimers {
    private final IoManager io;
    private final List<Timer> armed = new ArrayList<>();
    /** A spin lock, not a monitor: {@link #schedule} runs at DISPATCH. */
    private final SpinLock lock = new SpinLock();

    ManualMadTimers(IoManager io) {
        this.io = io;
    }

    private static final class Timer implements Cancellable {
        final Runnable routine;
        final AtomicBoolean done = new AtomicBoolean();

        Timer(Runnable routine) {
            this.routine = routine;
        }

        @Override
        public boolean cancel() {
            return done.compareAndSet(false, true);
        }
    }

    @Override
    public Cancellable schedule(long delayNanos, Runnable routine) {
        Timer t = new Timer(routine);
        lock.lock();
        try {
            armed.add(t);
        } finally {
            lock.unlock();
        }
        return t;
    }

    /** Timers armed and neither cancelled nor expired. */
    int pending() {
        lock.lock();
        try {
            int n = 0;
            for (Timer t : armed) {
                if (!t.done.get()) {
                    n++;
                }
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Expires every pending timer (its routine runs as a DPC); returns how many. */
    int expireAll() {
        List<Timer> due;
        lock.lock();
        try {
            due = new ArrayList<>(armed);
            armed.clear();
        } finally {
            lock.unlock();
        }
        int n = 0;
        for (Timer t : due) {
            if (t.done.compareAndSet(false, true)) {
                io.queueDpc(t.routine);
                n++;
            }
        }
        return n;
    }
}
