package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;

/**
 * The timer thread: routines run as DPCs (at DISPATCH, on the completion pool), in deadline order;
 * cancelled timers never run; an earlier timer armed while the thread parks for a later one wakes
 * it; a throwing routine is reported and later timers still fire; the spin margin property is
 * validated. No test asserts how precise a timer is (that is measured, in the command-interface
 * harness of docs/BENCHMARKS-HCA.md).
 */
public class TimersTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Rule
    public final FrameworkRule fw = new FrameworkRule();

    @After
    public void clearProperty() {
        System.clearProperty("irpverbs.timer.spinMicros");
    }

    /**
     * Regression: a timer armed for Long.MAX_VALUE ns ("never", as {@code Promise.timeout(Long.MAX_VALUE)}
     * arms) overflowed its deadline, which the heap then sorted first; the timer thread parked for it
     * and no earlier timer fired again.
     */
    @Test
    public void aTimerArmedForeverDoesNotHoldOffAnEarlierOne() throws InterruptedException {
        AtomicInteger neverRan = new AtomicInteger();
        Cancellable forever = fw.io().schedule(Long.MAX_VALUE, neverRan::incrementAndGet);
        CountDownLatch fired = new CountDownLatch(1);
        fw.io().schedule(TimeUnit.MILLISECONDS.toNanos(1), fired::countDown);
        assertTrue("the 1 ms timer did not fire within 30 s", fired.await(30, TimeUnit.SECONDS));
        assertTrue(forever.cancel());
        assertEquals(0, neverRan.get());
        fw.assertClean();
    }

    @Test
    public void routineRunsAsADpcOnTheCompletionPool() throws InterruptedException {
        AtomicReference<ExecutionLevel> level = new AtomicReference<>();
        AtomicReference<String> thread = new AtomicReference<>();
        CountDownLatch fired = new CountDownLatch(1);
        fw.io().schedule(TimeUnit.MILLISECONDS.toNanos(1), () -> {
            level.set(ExecutionLevel.current());
            thread.set(Thread.currentThread().getName());
            fired.countDown();
        });
        assertTrue(fired.await(10, TimeUnit.SECONDS));
        assertEquals(ExecutionLevel.DISPATCH, level.get());
        assertTrue(thread.get(), thread.get().startsWith("test-completion-"));
        fw.assertClean();
    }

    /**
     * Regression: this test once armed five timers 1-9 ms apart on the running manager and read the
     * order their DPCs ran in; on a loaded machine the arming thread was descheduled between two
     * arms, the 9 ms timer expired before the 1 ms one was armed, and the order came out
     * [1, 3, 9, 5, 7]. Now every timer is in the heap before the timer thread starts, and one
     * completion thread runs their DPCs in the order they were queued:
     * the outcome depends on the heap alone.
     */
    @Test
    public void timersFireInDeadlineOrderWhateverTheArmingOrder() throws InterruptedException {
        DpcPool oneThread = new DpcPool("ordered", 1, true);
        Timers timers = new Timers(oneThread, "ordered", 0, false);
        try {
            List<Integer> order = new CopyOnWriteArrayList<>();
            CountDownLatch all = new CountDownLatch(5);
            int[] delaysMillis = {9, 3, 7, 1, 5};
            for (int d : delaysMillis) {
                timers.schedule(TimeUnit.MILLISECONDS.toNanos(d), () -> {
                    order.add(d);
                    all.countDown();
                });
            }
            timers.start();
            assertTrue(all.await(10, TimeUnit.SECONDS));
            assertEquals(List.of(1, 3, 5, 7, 9), order);
        } finally {
            timers.shutdown();
            timers.awaitStopped(5000);
            oneThread.shutdown();
            oneThread.awaitStopped(5000);
        }
        fw.assertClean();
    }

    @Test
    public void earlierTimerArmedWhileParkedForALaterOneWakesTheThread() throws InterruptedException {
        AtomicInteger late = new AtomicInteger();
        Cancellable far = fw.io().schedule(60 * SECOND, late::incrementAndGet);
        Thread.sleep(20); // the timer thread is now parked until shortly before the far deadline
        CountDownLatch near = new CountDownLatch(1);
        fw.io().schedule(TimeUnit.MILLISECONDS.toNanos(2), near::countDown);
        assertTrue("the near timer must not wait for the far one", near.await(10, TimeUnit.SECONDS));
        assertTrue(far.cancel());
        assertEquals(0, late.get());
        fw.assertClean();
    }

    @Test
    public void cancelledTimersNeverRunAndAreNotPending() throws InterruptedException {
        AtomicInteger ran = new AtomicInteger();
        Cancellable[] timers = new Cancellable[2000];
        for (int i = 0; i < timers.length; i++) {
            timers[i] = fw.io().schedule(TimeUnit.MILLISECONDS.toNanos(300 + i % 20), ran::incrementAndGet);
        }
        for (Cancellable t : timers) {
            assertTrue(t.cancel());
        }
        CountDownLatch sentinel = new CountDownLatch(1);
        fw.io().schedule(TimeUnit.MILLISECONDS.toNanos(400), sentinel::countDown);
        assertTrue(sentinel.await(10, TimeUnit.SECONDS));
        assertEquals(0, ran.get());
        for (Cancellable t : timers) {
            assertFalse("a cancelled timer cannot be cancelled again", t.cancel());
        }
        assertEquals(0, ((IoManagerImpl) fw.io()).pendingTimers());
        fw.assertClean();
    }

    @Test
    public void throwingRoutineIsReportedAndLaterTimersStillFire() throws InterruptedException {
        fw.expectBugs(1);
        fw.io().schedule(0, () -> {
            throw new IllegalStateException("broken timer routine");
        });
        CountDownLatch after = new CountDownLatch(1);
        fw.io().schedule(TimeUnit.MILLISECONDS.toNanos(3), after::countDown);
        assertTrue(after.await(10, TimeUnit.SECONDS));
        // the two DPCs may run on the two completion threads in either order: wait for the report
        long deadline = System.nanoTime() + 10 * SECOND;
        while (DriverVerifier.bugCount() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(DriverVerifier.recentBugs().toString(),
                DriverVerifier.recentBugs().toString().contains("broken timer routine"));
        fw.assertClean();
    }

    @Test
    public void withoutSpinningTimersStillFire() throws InterruptedException {
        DpcPool pool = new DpcPool("plain", 1, true);
        Timers plain = new Timers(pool, "plain", 0);
        try {
            CountDownLatch fired = new CountDownLatch(3);
            for (int i = 1; i <= 3; i++) {
                plain.schedule(TimeUnit.MILLISECONDS.toNanos(i), fired::countDown);
            }
            assertTrue(fired.await(10, TimeUnit.SECONDS));
        } finally {
            plain.shutdown();
            plain.awaitStopped(5000);
            pool.shutdown();
            pool.awaitStopped(5000);
        }
        fw.assertClean();
    }

    @Test
    public void spinMarginPropertyIsValidated() {
        System.setProperty("irpverbs.timer.spinMicros", "250");
        assertEquals(250_000L, Timers.spinNanosFromProperty());
        System.setProperty("irpverbs.timer.spinMicros", "0");
        assertEquals(0L, Timers.spinNanosFromProperty());
        System.clearProperty("irpverbs.timer.spinMicros");
        assertEquals(Timers.DEFAULT_SPIN_MICROS * 1000L, Timers.spinNanosFromProperty());
        for (String bad : new String[] {"-1", "10001", "fast", "1.5"}) {
            System.setProperty("irpverbs.timer.spinMicros", bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Timers::spinNanosFromProperty);
            assertTrue(e.getMessage(), e.getMessage().contains("irpverbs.timer.spinMicros") && e.getMessage().contains(bad));
        }
        assertThrows(IllegalArgumentException.class, () -> new Timers(null, "bad", -1));
        fw.assertClean();
    }
}
