package org.irpverbs.irp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The manager's timers ({@code KTIMER} + its DPC): one timer thread keeps a heap of deadlines and
 * queues each expired timer's routine to the completion pool as a DPC, in deadline order.
 *
 * <p>Why not run the routine on the timer thread itself, as the processor whose clock interrupt
 * expired a Windows timer runs its DPC: it was tried. It saves one wake-up per timer (it lifted
 * the 1 ms command benchmark by 1-2 points), but with two vCPUs it made the single-engine RC
 * ping-pong settle into a slow scheduling pattern (15-40 µs instead of 2-3 µs per round trip) in
 * a third of the forks: the engines' retry timers then woke the engine from the timer thread.
 *
 * <p>Precision: {@link LockSupport#parkNanos} wakes a thread late by the kernel's timer slack (50
 * µs by default on Linux) plus the scheduler's wake-up latency, about 80 µs at the median on a
 * small VM; that would lengthen every simulated firmware latency. So the thread parks until
 * {@code spinMicros} before the nearest deadline and spins the rest (a high-resolution timer
 * bought with CPU time only while a timer is about to expire). The margin comes from the system
 * property {@code irpverbs.timer.spinMicros} (default {@value #DEFAULT_SPIN_MICROS}; 0 turns
 * spinning off, 0..10000 allowed).
 *
 * <p>Arming and cancelling are lock-free (an inbox queue and a state CAS), so both may be done at
 * DISPATCH; only the timer thread touches the heap. Arming wakes the timer thread only when the new
 * deadline is earlier than the one it is parked for.
 */
final class Timers {
    static final int ARMED = 0;
    static final int CANCELLED = 1;
    static final int FIRED = 2;
    static final int DEFAULT_SPIN_MICROS = 100;
    /**
     * Longest delay a timer is armed for (about 36 years), so that a deadline cannot overflow:
     * the heap orders deadlines by value, and a wrapped one (a "never" of Long.MAX_VALUE) sorted
     * first and kept every earlier timer from firing.
     */
    static final long MAX_DELAY_NANOS = Long.MAX_VALUE / 256;
    private static final int MAX_SPIN_MICROS = 10_000;
    private static final VarHandle TIMER_STATE;

    static {
        try {
            TIMER_STATE = MethodHandles.lookup().findVarHandle(Timer.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The spin margin from {@code irpverbs.timer.spinMicros}.
     *
     * @throws IllegalArgumentException naming the property if the value is not an integer in 0..10000
     */
    static long spinNanosFromProperty() {
        String value = System.getProperty("irpverbs.timer.spinMicros");
        if (value == null || value.isBlank()) {
            return DEFAULT_SPIN_MICROS * 1000L;
        }
        try {
            int micros = Integer.parseInt(value.trim());
            if (micros >= 0 && micros <= MAX_SPIN_MICROS) {
                return micros * 1000L;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                "irpverbs.timer.spinMicros must be an integer from 0 to " + MAX_SPIN_MICROS + "; was '" + value + "'");
    }

    /** One armed timer. */
    final class Timer implements Cancellable, Comparable<Timer> {
        final long deadline;
        final Runnable work;
        volatile int state;

        Timer(long deadline, Runnable work) {
            this.deadline = deadline;
            this.work = work;
        }

        @Override
        public boolean cancel() {
            if (TIMER_STATE.compareAndSet(this, ARMED, CANCELLED)) {
                cancelledInHeap.incrementAndGet();
                return true;
            }
            return false;
        }

        @Override
        public int compareTo(Timer other) {
            return Long.compare(deadline, other.deadline);
        }
    }

    private final DpcPool dpcs;
    private final ConcurrentLinkedQueue<Timer> inbox = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<Timer> heap = new PriorityQueue<>();
    private final AtomicInteger cancelledInHeap = new AtomicInteger();
    private final long spinNanos;
    private final Thread thread;
    private volatile boolean running = true;
    /** True while the timer thread is parked (or about to park); false while it works or spins. */
    private volatile boolean parked;
    /** When {@link #parked}: whether it parked without a deadline, else the time it wakes at. */
    private volatile boolean parkedIndefinitely;
    private volatile long parkedUntil;

    Timers(DpcPool dpcs, String name) {
        this(dpcs, name, spinNanosFromProperty());
    }

    Timers(DpcPool dpcs, String name, long spinNanos) {
        this(dpcs, name, spinNanos, true);
    }

    /**
     * @param startThread false only for tests that arm several timers before the timer thread may
     *                    look at any of them (then {@link #start()} lets it run): the order in which
     *                    expired timers are queued is then decided by the heap alone, not by how
     *                    far the arming thread got before a slow scheduler let the timer thread in
     */
    Timers(DpcPool dpcs, String name, long spinNanos, boolean startThread) {
        if (spinNanos < 0) {
            throw new IllegalArgumentException("spin margin must not be negative: " + spinNanos);
        }
        this.dpcs = dpcs;
        this.spinNanos = spinNanos;
        this.thread = new Thread(this::run, name + "-timer");
        thread.setDaemon(true);
        if (startThread) {
            thread.start();
        }
    }

    /** Starts a timer thread constructed with {@code startThread == false}. */
    void start() {
        thread.start();
    }

    Timer schedule(long delayNanos, Runnable work) {
        if (delayNanos < 0) {
            throw new IllegalArgumentException("delay must not be negative: " + delayNanos);
        }
        Timer t = new Timer(System.nanoTime() + Math.min(delayNanos, MAX_DELAY_NANOS), work);
        inbox.add(t);
        if (parked && (parkedIndefinitely || t.deadline - spinNanos - parkedUntil < 0)) {
            LockSupport.unpark(thread);
        }
        return t;
    }

    /**
     * Test seam for timers whose thread was never started ({@code startThread == false}): takes the
     * earliest armed timer, marks it fired and returns its routine for the caller to run where it
     * chooses (as its DPC would, at DISPATCH). Null if no timer is armed.
     *
     * @throws IllegalStateException if the timer thread runs (it owns the heap then)
     */
    Runnable expireByHand() {
        if (thread.isAlive()) {
            throw new IllegalStateException("timers of a running timer thread cannot be expired by hand");
        }
        drainInbox();
        Timer head;
        while ((head = nextLiveHead()) != null) {
            heap.poll();
            if (TIMER_STATE.compareAndSet(head, ARMED, FIRED)) {
                return head.work;
            }
            cancelledInHeap.decrementAndGet();
        }
        return null;
    }

    int pending() {
        return inbox.size() + heap.size() - cancelledInHeap.get();
    }

    void shutdown() {
        running = false;
        LockSupport.unpark(thread);
    }

    void awaitStopped(long millis) {
        if (thread == Thread.currentThread()) {
            return;
        }
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        while (running) {
            drainInbox();
            if (cancelledInHeap.get() > 1024 && cancelledInHeap.get() > heap.size() / 2) {
                purgeCancelled();
            }
            Timer head = nextLiveHead();
            long now = System.nanoTime();
            if (head != null && head.deadline - now <= 0) {
                expire(now);
                continue;
            }
            if (head != null && head.deadline - now <= spinNanos) {
                spinUntil(head);
                continue;
            }
            // Park until the spin margin before the head; schedule() wakes us for an earlier one.
            parkedIndefinitely = head == null;
            parkedUntil = head == null ? 0 : head.deadline - spinNanos;
            parked = true;
            if (inbox.isEmpty() && running) {
                if (head == null) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, head.deadline - spinNanos - now);
                }
            }
            parked = false;
        }
    }

    private void drainInbox() {
        Timer t;
        while ((t = inbox.poll()) != null) {
            if (t.state == CANCELLED) {
                cancelledInHeap.decrementAndGet();
            } else {
                heap.add(t);
            }
        }
    }

    /** The earliest timer still armed; cancelled ones at the top are dropped. */
    private Timer nextLiveHead() {
        Timer head;
        while ((head = heap.peek()) != null && head.state == CANCELLED) {
            heap.poll();
            cancelledInHeap.decrementAndGet();
        }
        return head;
    }

    /** Busy-waits for {@code head}'s deadline, leaving early if it is cancelled or a new timer comes in. */
    private void spinUntil(Timer head) {
        while (running && head.state == ARMED && inbox.isEmpty() && head.deadline - System.nanoTime() > 0) {
            Thread.onSpinWait();
        }
    }

    /** Queues the routine of every timer due at {@code now} as a DPC. */
    private void expire(long now) {
        Timer head;
        while ((head = heap.peek()) != null && head.deadline - now <= 0) {
            heap.poll();
            if (TIMER_STATE.compareAndSet(head, ARMED, FIRED)) {
                dpcs.queue(head.work);
            } else {
                cancelledInHeap.decrementAndGet();
            }
        }
    }

    private void purgeCancelled() {
        int removed = 0;
        var it = heap.iterator();
        while (it.hasNext()) {
            if (it.next().state == CANCELLED) {
                it.remove();
                removed++;
            }
        }
        cancelledInHeap.addAndGet(-removed);
    }
}
