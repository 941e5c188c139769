package org.irpverbs.softhca.cmdif;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.irpverbs.irp.Cancellable;
import org.irpverbs.irp.ExecutionLevel;

/**
 * A {@link CommandTimer} that fires only when the test says so, on the test's thread raised to
 * DISPATCH (where the I/O manager's timer DPC would run it): a timeout is then an event the test
 * causes, never a race with a loaded scheduler.
 */
final class ManualTimer implements CommandTimer {
    static final class Entry implements Cancellable {
        final long delayNanos;
        final Runnable work;
        private final AtomicBoolean done = new AtomicBoolean();
        volatile boolean cancelled;

        Entry(long delayNanos, Runnable work) {
            this.delayNanos = delayNanos;
            this.work = work;
        }

        @Override
        public boolean cancel() {
            if (done.compareAndSet(false, true)) {
                cancelled = true;
                return true;
            }
            return false;
        }

        boolean pending() {
            return !done.get();
        }

        void fire() {
            if (done.compareAndSet(false, true)) {
                ExecutionLevel.runAtDispatch("manual timer", work);
            }
        }
    }

    private final List<Entry> entries = new CopyOnWriteArrayList<>();

    @Override
    public Cancellable schedule(long delayNanos, Runnable work) {
        Entry e = new Entry(delayNanos, work);
        entries.add(e);
        return e;
    }

    /** Timers armed and neither fired nor cancelled, oldest first. */
    List<Entry> pending() {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.pending()) {
                out.add(e);
            }
        }
        return out;
    }

    /** Fires every timer pending now (not those they arm), oldest first; returns how many. */
    int fireAll() {
        List<Entry> due = pending();
        due.forEach(Entry::fire);
        return due.size();
    }

    /** Fires the oldest pending timer. */
    void fireOldest() {
        List<Entry> due = pending();
        if (due.isEmpty()) {
            throw new AssertionError("no timer pending");
        }
        due.get(0).fire();
    }
}
