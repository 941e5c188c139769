package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.util.promise.Promise;
import org.osgi.util.promise.TimeoutException;

/**
 * Regression (issue 10, §2 item 12): the promises the I/O manager returned were the OSGi
 * {@code Deferred}'s, which resolves inside {@code synchronized}; promise callbacks and timeouts run
 * as DPCs, so a promise's timeout racing its completion could meet a contended monitor at DISPATCH.
 * The promise view must not block at DISPATCH: resolution is lock-free, and a wait for an unresolved
 * promise at DISPATCH is reported by the blocking detector's explicit check.
 *
 * <p>Nothing here depends on timing: the manager's timer thread is never started, the test expires
 * the timeout by hand on a thread of its own, and threads meet at gates the test holds; every wait
 * has a liveness bound of 30 s or more.
 */
public class PromiseAtDispatchTest {
    private static final long LIVENESS_SECONDS = 30;
    private IoManagerImpl io;
    private DeviceObject device;
    private final AtomicReference<Irp> pended = new AtomicReference<>();

    @Before
    public void setUp() {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
        DriverVerifier.reset();
        // one completion thread: a DPC queued after the round's callbacks runs after all of them
        io = new IoManagerImpl("promise-race", 1, null, false);
        DriverObject pending = DriverObject.builder("pending").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
            irp.markPending();
            pended.set(irp);
            return NtStatus.PENDING;
        }).build();
        device = TestStacks.stack(io, pending);
    }

    @After
    public void tearDown() {
        io.shutdown();
    }

    /** Sends a request that the bottom keeps pending; returns its promise (the request is in {@link #pended}). */
    private Promise<Irp> submitPending() {
        Promise<Irp> p = io.submit(device, TestStacks.internal(device, TestStacks.ECHO));
        assertTrue("the request is pending at the bottom", pended.get() != null);
        return p;
    }

    /** Runs {@code work} at DISPATCH on a new thread once {@code gate} opens (spinning there, never parking). */
    private static Thread atDispatchWhenOpen(String name, AtomicInteger ready, AtomicReference<Boolean> gate, Runnable work) {
        Thread t = new Thread(() -> ExecutionLevel.runAtDispatch(name, () -> {
            ready.incrementAndGet();
            int spins = 0;
            while (gate.get() != Boolean.TRUE) {
                if (++spins % 1024 == 0) {
                    Thread.yield(); // not a wait: a 2-vCPU machine must let the other side in
                } else {
                    Thread.onSpinWait();
                }
            }
            work.run();
        }), name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void joinBounded(Thread t) throws InterruptedException {
        t.join(TimeUnit.SECONDS.toMillis(LIVENESS_SECONDS));
        assertFalse(t.getName() + " did not finish within " + LIVENESS_SECONDS + " s", t.isAlive());
    }

    private void flushDpcs() throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(1);
        io.queueDpc(ran::countDown);
        assertTrue("the completion thread did not get to a DPC", ran.await(LIVENESS_SECONDS, TimeUnit.SECONDS));
    }

    /**
     * A promise's timeout expiring on one thread while its request completes on another, both at
     * DISPATCH and released together from a gate, many times: exactly one outcome wins each time,
     * every callback runs exactly once, and nothing blocks at DISPATCH.
     */
    @Test
    public void aTimeoutRacingTheCompletionHasOneWinnerAndRunsEachCallbackOnce() throws Exception {
        int rounds = 1000;
        int completionsWon = 0;
        for (int round = 0; round < rounds; round++) {
            Promise<Irp> completed = submitPending();
            Irp request = pended.getAndSet(null);
            Promise<Irp> timed = completed.timeout(60_000);
            Runnable expiry = io.timers().expireByHand();
            assertTrue("timeout() armed a timer of the manager", expiry != null);

            AtomicInteger resolvedRuns = new AtomicInteger();
            AtomicInteger successRuns = new AtomicInteger();
            AtomicInteger timeoutRuns = new AtomicInteger();
            AtomicInteger mappedRuns = new AtomicInteger();
            CountDownLatch callbacks = new CountDownLatch(3);
            timed.onResolve(() -> {
                resolvedRuns.incrementAndGet();
                callbacks.countDown();
            }).onSuccess(irp -> {
                successRuns.incrementAndGet();
                callbacks.countDown();
            }).onFailure(f -> {
                timeoutRuns.incrementAndGet();
                callbacks.countDown();
            }, TimeoutException.class);
            Promise<Integer> mapped = timed.map(irp -> mappedRuns.incrementAndGet());
            mapped.onResolve(callbacks::countDown);

            AtomicInteger ready = new AtomicInteger();
            AtomicReference<Boolean> gate = new AtomicReference<>(Boolean.FALSE);
            Thread timer = atDispatchWhenOpen("timer DPC", ready, gate, expiry);
            Thread completion = atDispatchWhenOpen("completion", ready, gate, () -> request.complete(NtStatus.SUCCESS, 7));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIVENESS_SECONDS);
            while (ready.get() < 2) {
                assertTrue("the racing threads did not start", System.nanoTime() < deadline);
                Thread.yield();
            }
            gate.set(Boolean.TRUE);
            joinBounded(timer);
            joinBounded(completion);
            assertTrue("round " + round + ": callbacks did not run", callbacks.await(LIVENESS_SECONDS, TimeUnit.SECONDS));
            flushDpcs(); // a second run of any callback would have been queued before this

            assertSame("the request itself always completes", request, completed.getValue());
            assertEquals("round " + round + ": onResolve", 1, resolvedRuns.get());
            assertEquals("round " + round + ": exactly one outcome", 1, successRuns.get() + timeoutRuns.get());
            if (successRuns.get() == 1) {
                completionsWon++;
                assertSame(request, timed.getValue());
                assertEquals(1, mappedRuns.get());
            } else {
                assertTrue(timed.getFailure() instanceof TimeoutException);
                assertEquals("a timed-out promise maps nothing", 0, mappedRuns.get());
                assertTrue(mapped.getFailure() instanceof TimeoutException);
            }
        }
        assertEquals("blocking at DISPATCH (" + completionsWon + " of " + rounds + " rounds won by the completion): "
                + BlockingDetector.recentViolations(), 0, BlockingDetector.violationCount());
        assertEquals("driver bugs: " + DriverVerifier.recentBugs(), 0, DriverVerifier.bugCount());
    }

    /**
     * The monitor of the promise, and of every object it holds, held by another thread does not
     * stop a resolution or its timeout at DISPATCH: they take no monitor. (The OSGi promise resolved
     * inside {@code synchronized} on its latch, and the resolving thread would wait here.)
     */
    @Test
    public void resolutionAndTimeoutTakeNoMonitor() throws Exception {
        Promise<Irp> completed = submitPending();
        Irp request = pended.getAndSet(null);
        Promise<Irp> timed = completed.timeout(60_000);
        Runnable expiry = io.timers().expireByHand();
        Promise<Irp> racingTimeout = submitPending().timeout(60_000);
        Irp racingRequest = pended.getAndSet(null);
        Runnable racingExpiry = io.timers().expireByHand();

        List<Object> monitors = monitorsOf(completed, timed, racingTimeout);
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = new Thread(() -> holdAll(monitors, 0, holding, release), "monitor holder");
        holder.setDaemon(true);
        holder.start();
        assertTrue(holding.await(LIVENESS_SECONDS, TimeUnit.SECONDS));
        try {
            AtomicInteger ran = new AtomicInteger();
            Thread resolver = new Thread(() -> ExecutionLevel.runAtDispatch("completion", () -> {
                completed.onResolve(ran::incrementAndGet); // registering takes no monitor either
                request.complete(NtStatus.SUCCESS, 1); // resolves completed, and timed through it
                expiry.run(); // the timeout that lost: changes nothing
                racingExpiry.run(); // a timeout that wins
            }), "resolver");
            resolver.start();
            joinBounded(resolver);
            assertTrue(completed.isDone());
            assertTrue(timed.isDone());
            assertSame(request, timed.getValue());
            assertTrue(racingTimeout.getFailure() instanceof TimeoutException);
        } finally {
            release.countDown();
            holder.join(TimeUnit.SECONDS.toMillis(LIVENESS_SECONDS));
        }
        racingRequest.complete(NtStatus.SUCCESS, 1);
        flushDpcs();
        assertEquals("blocking at DISPATCH: " + BlockingDetector.recentViolations(), 0, BlockingDetector.violationCount());
        assertEquals("driver bugs: " + DriverVerifier.recentBugs(), 0, DriverVerifier.bugCount());
    }

    /** The promises and every object their fields (of all classes up the hierarchy) refer to. */
    private static List<Object> monitorsOf(Object... promises) throws IllegalAccessException {
        List<Object> monitors = new ArrayList<>();
        for (Object p : promises) {
            monitors.add(p);
            for (Class<?> c = p.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                        continue;
                    }
                    f.setAccessible(true);
                    Object held = f.get(p);
                    if (held != null) {
                        monitors.add(held);
                    }
                }
            }
        }
        return monitors;
    }

    private static void holdAll(List<Object> monitors, int next, CountDownLatch holding, CountDownLatch release) {
        if (next == monitors.size()) {
            holding.countDown();
            try {
                release.await(2 * LIVENESS_SECONDS, TimeUnit.SECONDS); // at PASSIVE: this thread may wait
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        synchronized (monitors.get(next)) {
            holdAll(monitors, next + 1, holding, release);
        }
    }

    /**
     * {@code getValue} of an unresolved promise at DISPATCH is reported by the blocking detector's
     * explicit check, naming the call, before it waits (not only if the sampler happens to see the
     * thread parked).
     */
    @Test
    public void getValueOfAnUnresolvedPromiseAtDispatchIsReportedBeforeItWaits() throws Exception {
        Promise<Irp> completed = submitPending();
        Irp request = pended.getAndSet(null);
        // the request completes once the wait has been reported, however late either thread runs
        Thread completer = new Thread(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIVENESS_SECONDS);
            while (BlockingDetector.violationCount() == 0 && System.nanoTime() < deadline) {
                Thread.yield();
            }
            request.complete(NtStatus.SUCCESS, 3);
        }, "completer");
        completer.start();
        AtomicReference<Irp> value = new AtomicReference<>();
        ExecutionLevel.runAtDispatch("DPC that waits", () -> {
            try {
                value.set(completed.getValue());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        joinBounded(completer);
        assertSame("the wait still ends with the value", request, value.get());
        assertEquals(BlockingDetector.recentViolations().toString(), 1, BlockingDetector.violationCount());
        BlockingViolation v = BlockingDetector.recentViolations().get(0);
        assertEquals("DPC that waits", v.where());
        assertTrue(v.what(), v.what().contains("Promise.getValue"));
        assertTrue("the report has the caller's stack", v.stack() != null && v.stack().length > 0);
    }
}
