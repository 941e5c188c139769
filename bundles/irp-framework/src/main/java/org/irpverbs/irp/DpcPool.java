package org.irpverbs.irp;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The completion pool: a small fixed set of threads that run deferred procedure calls at
 * DISPATCH. Queueing is lock-free and never blocks, so a DPC may be queued from any level. A
 * worker raises to DISPATCH for a batch of DPCs and drops back to PASSIVE only to park when the
 * queue is empty.
 */
final class DpcPool {
    private static final int BATCH = 64;

    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final Worker[] workers;
    private final boolean atDispatch;
    private volatile boolean running = true;

    private final class Worker extends Thread {
        /**
         * True while the worker is idle and may be woken. A waker takes the worker by clearing it
         * (compare-and-set), so two DPCs queued back to back wake two workers: before, the flag
         * stayed set until the woken worker ran, and the second DPC woke the same worker again
         * and waited behind the first while another worker slept.
         */
        final AtomicBoolean idle = new AtomicBoolean();

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        @Override
        public void run() {
            LevelState level = LevelState.get();
            while (running) {
                Runnable work = queue.poll();
                if (work == null) {
                    idle.set(true);
                    work = queue.poll();
                    if (work == null) {
                        // until a waker takes this worker (or shutdown); spurious returns loop
                        while (idle.get() && running) {
                            LockSupport.park(DpcPool.this);
                        }
                        continue;
                    }
                    // busy again; if a waker took this worker meanwhile, its unpark leaves a permit
                    // that makes one later park return at once, and the loop parks again
                    idle.set(false);
                }
                ExecutionLevel previous = atDispatch ? level.raise("DPC") : ExecutionLevel.PASSIVE;
                try {
                    int done = 0;
                    do {
                        try {
                            work.run();
                        } catch (RuntimeException | Error e) {
                            DriverVerifier.report((atDispatch ? "DPC" : "work item") + " threw " + e);
                        }
                    } while (++done < BATCH && (work = queue.poll()) != null);
                } finally {
                    level.lower(previous);
                }
            }
        }
    }

    /**
     * @param atDispatch true for the completion pool; false for the system worker (work items
     *                   that run at PASSIVE and may block, such as OSGi service registration)
     */
    DpcPool(String name, int threads, boolean atDispatch) {
        this.atDispatch = atDispatch;
        if (threads < 1 || threads > 64) {
            throw new IllegalArgumentException("completion threads must be 1..64, was " + threads);
        }
        workers = new Worker[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = new Worker(name + (atDispatch ? "-completion-" : "-worker-") + i);
            workers[i].start();
        }
    }

    void queue(Runnable work) {
        queue.add(work);
        for (Worker w : workers) {
            if (w.idle.get() && w.idle.compareAndSet(true, false)) {
                LockSupport.unpark(w);
                return;
            }
        }
    }

    int threads() {
        return workers.length;
    }

    boolean isPoolThread(Thread t) {
        for (Worker w : workers) {
            if (w == t) {
                return true;
            }
        }
        return false;
    }

    void shutdown() {
        running = false;
        for (Worker w : workers) {
            LockSupport.unpark(w);
        }
    }

    /** Waits up to {@code millis} for the workers to finish their current batch and exit. */
    void awaitStopped(long millis) {
        long deadline = System.currentTimeMillis() + millis;
        for (Worker w : workers) {
            if (w == Thread.currentThread()) {
                continue;
            }
            try {
                w.join(Math.max(1, deadline - System.currentTimeMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
