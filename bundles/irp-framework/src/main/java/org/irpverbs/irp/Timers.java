package org.irpverbs.irp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The manager's timers ({@code KTIMER} + DPC): one timer thread keeps a heap of deadlines and
 * hands each expired timer's work to the completion pool as a DPC. Arming and cancelling are
 * lock-free (an inbox queue and a state CAS), so both may be done at DISPATCH; only the timer
 * thread touches the heap.
 */
final class Timers {
    static final int ARMED = 0;
    static final int CANCELLED = 1;
    static final int FIRED = 2;
    private static final VarHandle TIMER_STATE;

    static {
        try {
            TIMER_STATE = MethodHandles.lookup().findVarHandle(Timer.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
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
    private final Thread thread;
    private volatile boolean running = true;

    Timers(DpcPool dpcs, String name) {
        this.dpcs = dpcs;
        this.thread = new Thread(this::run, name + "-timer");
        thread.setDaemon(true);
        thread.start();
    }

    Timer schedule(long delayNanos, Runnable work) {
        if (delayNanos < 0) {
            throw new IllegalArgumentException("delay must not be negative: " + delayNanos);
        }
        Timer t = new Timer(System.nanoTime() + delayNanos, work);
        inbox.add(t);
        LockSupport.unpark(thread);
        return t;
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
            Timer t;
            while ((t = inbox.poll()) != null) {
                heap.add(t);
            }
            if (cancelledInHeap.get() > 1024 && cancelledInHeap.get() > heap.size() / 2) {
                purgeCancelled();
            }
            long now = System.nanoTime();
            Timer head;
            while ((head = heap.peek()) != null && head.deadline - now <= 0) {
                heap.poll();
                if (TIMER_STATE.compareAndSet(head, ARMED, FIRED)) {
                    dpcs.queue(head.work);
                } else {
                    cancelledInHeap.decrementAndGet();
                }
            }
            if (!inbox.isEmpty()) {
                continue;
            }
            if (head == null) {
                LockSupport.park(this);
            } else {
                LockSupport.parkNanos(this, head.deadline - now);
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
