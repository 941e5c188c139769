package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** The completion pool wakes one idle worker per queued DPC, and its workers run at DISPATCH. */
public class DpcPoolTest {
    private static final long LIVENESS_NANOS = TimeUnit.SECONDS.toNanos(30);
    private DpcPool pool;

    @Before
    public void failMode() {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
        DriverVerifier.reset();
        pool = new DpcPool("dpc-test", 2, true);
    }

    @After
    public void stop() {
        pool.shutdown();
        pool.awaitStopped(10_000);
    }

    /**
     * Regression: the second of two DPCs queued back to back woke the same worker as the first
     * (it still looked parked until it ran), so it waited behind the first while the other worker
     * slept. The first DPC here does not end until the second has started (it spins: nothing may
     * wait at DISPATCH), so they can only both start if they start on two workers.
     */
    @Test
    public void twoDpcsQueuedTogetherStartOnTwoWorkers() {
        awaitAllWorkersParked();
        AtomicReference<Thread> first = new AtomicReference<>();
        AtomicReference<Thread> second = new AtomicReference<>();
        Runnable holdsItsWorker = () -> {
            first.set(Thread.currentThread());
            long deadline = System.nanoTime() + LIVENESS_NANOS;
            while (second.get() == null && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        };
        Runnable recordsItsWorker = () -> second.set(Thread.currentThread());
        // both built first: queued back to back, before a woken worker can have run
        pool.queue(holdsItsWorker);
        pool.queue(recordsItsWorker);
        awaitNonNull(first);
        awaitNonNull(second);
        assertNotEquals("the second DPC ran on the busy worker while the other one slept", first.get(), second.get());
        assertEquals(BlockingDetector.recentViolations().toString(), 0, BlockingDetector.violationCount());
        assertEquals(DriverVerifier.recentBugs().toString(), 0, DriverVerifier.bugCount());
    }

    /** Many DPCs queued at once all run, each exactly once, whichever workers take them. */
    @Test
    public void everyQueuedDpcRunsOnce() {
        int n = 10_000;
        java.util.concurrent.atomic.AtomicIntegerArray runs = new java.util.concurrent.atomic.AtomicIntegerArray(n);
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        for (int i = 0; i < n; i++) {
            int index = i;
            pool.queue(() -> {
                runs.incrementAndGet(index);
                done.incrementAndGet();
            });
        }
        long deadline = System.nanoTime() + LIVENESS_NANOS;
        while (done.get() < n && System.nanoTime() < deadline) {
            Thread.yield();
        }
        for (int i = 0; i < n; i++) {
            assertEquals("DPC " + i, 1, runs.get(i));
        }
        assertEquals(BlockingDetector.recentViolations().toString(), 0, BlockingDetector.violationCount());
    }

    private List<Thread> workers() {
        List<Thread> found = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (pool.isPoolThread(t)) {
                found.add(t);
            }
        }
        return found;
    }

    /** Waits until every worker is parked idle (the state both DPCs are queued in). */
    private void awaitAllWorkersParked() {
        long deadline = System.nanoTime() + LIVENESS_NANOS;
        while (true) {
            List<Thread> workers = workers();
            boolean allParked = workers.size() == pool.threads();
            for (Thread w : workers) {
                allParked &= w.getState() == Thread.State.WAITING && LockSupportBlocker.of(w) == pool;
            }
            if (allParked) {
                return;
            }
            assertTrue("the workers never went idle", System.nanoTime() < deadline);
            Thread.yield();
        }
    }

    private static void awaitNonNull(AtomicReference<Thread> ref) {
        long deadline = System.nanoTime() + LIVENESS_NANOS;
        while (ref.get() == null && System.nanoTime() < deadline) {
            Thread.yield();
        }
        assertNotNull("the DPC never ran", ref.get());
    }

    private static final class LockSupportBlocker {
        static Object of(Thread t) {
            return java.util.concurrent.locks.LockSupport.getBlocker(t);
        }
    }
}
