package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.util.promise.Promise;
import org.osgi.util.promise.Promises;
import org.osgi.util.promise.TimeoutException;

/**
 * The Promise 1.3 contract of the I/O manager's lock-free promise: success, failure, chaining,
 * exceptions of callbacks becoming failures, callbacks registered before and after resolution
 * running once each at DISPATCH, timeouts and delays on the manager's timers (expired by hand here,
 * so nothing depends on timing). One completion thread, so {@link #flush()} can tell that every
 * DPC queued so far has run.
 */
public class LockFreePromiseTest {
    private static final long LIVENESS_SECONDS = 30;
    private DpcPool dpcs;
    private Timers timers;
    private IoPromises promises;

    @Before
    public void setUp() {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
        DriverVerifier.reset();
        dpcs = new DpcPool("promise-test", 1, true);
        timers = new Timers(dpcs, "promise-test", 0, false); // never started: expired by hand
        promises = new IoPromises(dpcs, timers);
    }

    @After
    public void tearDown() {
        dpcs.shutdown();
        timers.shutdown();
        dpcs.awaitStopped(TimeUnit.SECONDS.toMillis(LIVENESS_SECONDS));
    }

    private void assertClean(long expectedBugs) {
        assertEquals("blocking at DISPATCH: " + BlockingDetector.recentViolations(), 0, BlockingDetector.violationCount());
        assertEquals("driver bugs: " + DriverVerifier.recentBugs(), expectedBugs, DriverVerifier.bugCount());
    }

    /** Waits (at PASSIVE) until every DPC queued before this call has run: one worker runs them in order. */
    private void flush() throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(1);
        dpcs.queue(ran::countDown);
        assertTrue("the completion thread did not get to a DPC in " + LIVENESS_SECONDS + " s",
                ran.await(LIVENESS_SECONDS, TimeUnit.SECONDS));
    }

    /** Waits (at PASSIVE) for {@code p} to be resolved, through a callback, never through getValue. */
    private static void settle(Promise<?> p) throws InterruptedException {
        CountDownLatch resolved = new CountDownLatch(1);
        p.onResolve(resolved::countDown);
        assertTrue("not resolved within " + LIVENESS_SECONDS + " s: " + p, resolved.await(LIVENESS_SECONDS, TimeUnit.SECONDS));
    }

    private static <T> T valueOf(Promise<T> p) throws Exception {
        settle(p);
        return p.getValue();
    }

    private static Throwable failureOf(Promise<?> p) throws Exception {
        settle(p);
        Throwable failure = p.getFailure();
        assertTrue("expected a failure: " + p, failure != null);
        return failure;
    }

    /** What one callback saw when it ran. */
    private static final class Seen {
        final AtomicInteger runs = new AtomicInteger();
        volatile boolean doneWhenRun;
        volatile ExecutionLevel level;
        volatile String thread;
        volatile Object value;

        void record(Promise<?> p, Object v) {
            doneWhenRun = p.isDone();
            level = ExecutionLevel.current();
            thread = Thread.currentThread().getName();
            value = v;
            runs.incrementAndGet();
        }
    }

    // ---------------------------------------------------------------- resolution and callbacks

    @Test
    public void callbacksRegisteredBeforeResolutionRunOnceAsDpcsAfterIt() throws Exception {
        LockFreePromise<String> p = promises.unresolved();
        Seen resolved = new Seen();
        Seen succeeded = new Seen();
        Seen failed = new Seen();
        p.onResolve(() -> resolved.record(p, null)).onSuccess(v -> succeeded.record(p, v)).onFailure(f -> failed.record(p, f));
        flush();
        assertEquals("nothing runs before resolution", 0, resolved.runs.get() + succeeded.runs.get());
        assertFalse(p.isDone());

        assertTrue(p.resolve("done"));
        flush();
        assertEquals(1, resolved.runs.get());
        assertEquals(1, succeeded.runs.get());
        assertEquals(0, failed.runs.get());
        assertEquals("done", succeeded.value);
        assertTrue("resolution happens before the callback", resolved.doneWhenRun && succeeded.doneWhenRun);
        assertEquals(ExecutionLevel.DISPATCH, resolved.level);
        assertTrue(resolved.thread, resolved.thread.contains("-completion-"));
        assertClean(0);
    }

    @Test
    public void callbacksRegisteredAfterResolutionRunOnceAtDispatch() throws Exception {
        LockFreePromise<String> p = promises.resolved("ready");
        Seen resolved = new Seen();
        Seen succeeded = new Seen();
        Seen failed = new Seen();
        p.onResolve(() -> resolved.record(p, null)).onSuccess(v -> succeeded.record(p, v)).onFailure(f -> failed.record(p, f));
        flush();
        assertEquals(1, resolved.runs.get());
        assertEquals(1, succeeded.runs.get());
        assertEquals(0, failed.runs.get());
        assertEquals("ready", succeeded.value);
        assertEquals("a callback runs at DISPATCH wherever it runs", ExecutionLevel.DISPATCH, resolved.level);
        assertEquals("the registering thread is back at its own level", ExecutionLevel.PASSIVE, ExecutionLevel.current());
        assertClean(0);
    }

    @Test
    public void aFailureRunsTheFailureCallbacksOfItsTypeOnly() throws Exception {
        LockFreePromise<String> p = promises.unresolved();
        Seen succeeded = new Seen();
        Seen anyFailure = new Seen();
        Seen ioFailure = new Seen();
        Seen stateFailure = new Seen();
        p.onSuccess(v -> succeeded.record(p, v)).onFailure(f -> anyFailure.record(p, f))
                .onFailure(f -> ioFailure.record(p, f), IOException.class)
                .onFailure(f -> stateFailure.record(p, f), IllegalStateException.class);
        IOException why = new IOException("link down");
        assertTrue(p.fail(why));
        flush();
        assertEquals(0, succeeded.runs.get());
        assertEquals(1, anyFailure.runs.get());
        assertEquals(1, ioFailure.runs.get());
        assertEquals(0, stateFailure.runs.get());
        assertSame(why, ioFailure.value);
        assertSame(why, p.getFailure());
        InvocationTargetException thrown = assertThrows(InvocationTargetException.class, p::getValue);
        assertSame(why, thrown.getCause());
        assertClean(0);
    }

    @Test
    public void onlyTheFirstResolutionCounts() throws Exception {
        LockFreePromise<Integer> p = promises.unresolved();
        AtomicInteger runs = new AtomicInteger();
        p.onResolve(runs::incrementAndGet);
        assertTrue(p.resolve(1));
        assertFalse(p.resolve(2));
        assertFalse(p.fail(new IllegalStateException("late")));
        flush();
        assertEquals(1, runs.get());
        assertEquals(Integer.valueOf(1), p.getValue());
        assertNull(p.getFailure());
        assertClean(0);
    }

    @Test
    public void badArgumentsAreRefusedWithTheirName() {
        LockFreePromise<Integer> p = promises.unresolved();
        assertTrue(assertThrows(NullPointerException.class, () -> p.fail(null)).getMessage().contains("failure"));
        assertTrue(assertThrows(NullPointerException.class, () -> p.onResolve(null)).getMessage().contains("callback"));
        assertTrue(assertThrows(NullPointerException.class, () -> p.onSuccess(null)).getMessage().contains("success"));
        assertThrows(NullPointerException.class, () -> p.onFailure(f -> {}, null));
        assertThrows(NullPointerException.class, () -> p.map(null));
        assertThrows(NullPointerException.class, () -> p.flatMap(null));
        assertThrows(NullPointerException.class, () -> p.filter(null));
        assertThrows(NullPointerException.class, () -> p.thenAccept(null));
        assertThrows(NullPointerException.class, () -> p.recover(null));
        assertThrows(NullPointerException.class, () -> p.recoverWith(null));
        assertThrows(NullPointerException.class, () -> p.fallbackTo(null));
        assertFalse("a refused argument leaves the promise as it was", p.isDone());
    }

    @Test
    public void aCallbackThatThrowsIsADriverVerifierReportAndTheOthersStillRun() throws Exception {
        LockFreePromise<Integer> p = promises.unresolved();
        AtomicInteger others = new AtomicInteger();
        p.onResolve(() -> {
            throw new IllegalStateException("callback bug");
        }).onResolve(others::incrementAndGet);
        p.resolve(7);
        flush();
        assertEquals(1, others.get());
        assertTrue(DriverVerifier.recentBugs().toString(), DriverVerifier.recentBugs().get(0).contains("callback bug"));
        assertClean(1);
    }

    @Test
    public void everyCallbackRunsExactlyOnceWhileRegistrationsRaceTheResolution() throws Exception {
        for (int round = 0; round < 200; round++) {
            LockFreePromise<Integer> p = promises.unresolved();
            AtomicInteger runs = new AtomicInteger();
            int perThread = 200;
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> registrars = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                Thread r = new Thread(() -> {
                    awaitQuietly(start);
                    for (int i = 0; i < perThread; i++) {
                        p.onResolve(runs::incrementAndGet);
                    }
                });
                r.start();
                registrars.add(r);
            }
            start.countDown();
            p.resolve(round);
            for (Thread r : registrars) {
                r.join(TimeUnit.SECONDS.toMillis(LIVENESS_SECONDS));
                assertFalse(r.isAlive());
            }
            flush();
            assertEquals("round " + round, 2 * perThread, runs.get());
        }
        assertClean(0);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(LIVENESS_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- waiting

    @Test
    public void getValueAtPassiveWaitsForTheResolution() throws Exception {
        LockFreePromise<String> p = promises.unresolved();
        Thread waiter = Thread.currentThread();
        // resolved once the waiter is parked in getValue, however late either thread is scheduled
        Thread resolver = new Thread(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIVENESS_SECONDS);
            while (waiter.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
                Thread.yield();
            }
            ExecutionLevel.runAtDispatch("test resolver", () -> p.resolve("late"));
        });
        resolver.start();
        assertEquals("late", p.getValue());
        resolver.join(TimeUnit.SECONDS.toMillis(LIVENESS_SECONDS));
        assertClean(0);
    }

    @Test
    public void anInterruptEndsTheWaitButNotTheReadOfAResolvedPromise() throws Exception {
        LockFreePromise<String> p = promises.unresolved();
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, p::getValue);
        assertFalse("the interrupt is consumed", Thread.currentThread().isInterrupted());
        p.resolve("there");
        Thread.currentThread().interrupt();
        assertEquals("a resolved promise does not wait, so it has no interrupt to report", "there", p.getValue());
        assertTrue(Thread.interrupted());
        assertClean(0);
    }

    // ---------------------------------------------------------------- chaining

    @Test
    public void thenChainsSuccessAndFailure() throws Exception {
        LockFreePromise<Integer> p = promises.unresolved();
        Promise<Integer> doubled = p.then(resolved -> promises.resolved(resolved.getValue() * 2));
        Promise<Object> noCallback = p.then(null);
        Promise<Object> nullPromise = p.then(resolved -> null);
        LockFreePromise<String> later = promises.unresolved();
        Promise<String> waitsForLater = p.then(resolved -> later);
        Promise<Integer> foreign = p.then(resolved -> Promises.resolved(99)); // another implementation's promise
        p.resolve(21);
        assertEquals(Integer.valueOf(42), valueOf(doubled));
        assertNull(valueOf(noCallback));
        assertNull(valueOf(nullPromise));
        assertEquals(Integer.valueOf(99), valueOf(foreign));
        flush();
        assertFalse("resolved by the returned promise, not before it", waitsForLater.isDone());
        later.resolve("now");
        assertEquals("now", valueOf(waitsForLater));

        LockFreePromise<Integer> failing = promises.unresolved();
        AtomicReference<Promise<?>> failureSaw = new AtomicReference<>();
        AtomicInteger successCalls = new AtomicInteger();
        Promise<Integer> chained = failing.then(r -> {
            successCalls.incrementAndGet();
            return r;
        }, failureSaw::set);
        IOException why = new IOException("gone");
        failing.fail(why);
        assertSame(why, failureOf(chained));
        assertSame("the Failure callback gets the failed promise", failing, failureSaw.get());
        assertEquals(0, successCalls.get());
        assertClean(0);
    }

    @Test
    public void anExceptionInAChainingCallbackFailsTheChainedPromise() throws Exception {
        LockFreePromise<Integer> p = promises.resolved(5);
        IllegalStateException boom = new IllegalStateException("boom");
        assertSame(boom, failureOf(p.then(r -> {
            throw boom;
        })));
        LockFreePromise<Integer> failed = promises.failed(new IOException("first"));
        assertSame("a Failure callback that throws replaces the failure", boom, failureOf(failed.then(null, r -> {
            throw boom;
        })));
        assertSame(boom, failureOf(p.map(v -> {
            throw boom;
        })));
        assertSame(boom, failureOf(p.flatMap(v -> {
            throw boom;
        })));
        assertSame(boom, failureOf(p.filter(v -> {
            throw boom;
        })));
        assertSame(boom, failureOf(p.thenAccept(v -> {
            throw boom;
        })));
        assertSame(boom, failureOf(failed.recover(f -> {
            throw boom;
        })));
        assertSame(boom, failureOf(failed.recoverWith(f -> {
            throw boom;
        })));
        assertClean(0);
    }

    @Test
    public void mapFlatMapFilterAndThenAccept() throws Exception {
        LockFreePromise<Integer> p = promises.unresolved();
        Promise<String> mapped = p.map(v -> "v" + v);
        Promise<Integer> flat = p.flatMap(v -> promises.resolved(v + 1));
        Promise<Object> flatNull = p.flatMap(v -> null);
        Promise<Integer> kept = p.filter(v -> v > 0);
        Promise<Integer> dropped = p.filter(v -> v < 0);
        AtomicInteger accepted = new AtomicInteger();
        Promise<Integer> acceptedThen = p.thenAccept(accepted::set);
        p.resolve(3);
        assertEquals("v3", valueOf(mapped));
        assertEquals(Integer.valueOf(4), valueOf(flat));
        assertNull(valueOf(flatNull));
        assertEquals(Integer.valueOf(3), valueOf(kept));
        assertTrue(failureOf(dropped) instanceof NoSuchElementException);
        assertEquals(Integer.valueOf(3), valueOf(acceptedThen));
        assertEquals(3, accepted.get());

        LockFreePromise<Integer> failed = promises.failed(new IOException("no"));
        AtomicInteger called = new AtomicInteger();
        for (Promise<?> chained : List.of(failed.map(v -> called.incrementAndGet()), failed.flatMap(v -> {
            called.incrementAndGet();
            return promises.resolved(v);
        }), failed.filter(v -> called.incrementAndGet() > 0), failed.thenAccept(v -> called.incrementAndGet()))) {
            assertTrue(failureOf(chained) instanceof IOException);
        }
        assertEquals("no function of a success runs for a failure", 0, called.get());
        assertClean(0);
    }

    @Test
    public void recoverAndRecoverWith() throws Exception {
        IOException why = new IOException("lost");
        LockFreePromise<String> failed = promises.failed(why);
        assertEquals("spare", valueOf(failed.recover(f -> "spare")));
        assertSame("a null recovery keeps the failure", why, failureOf(failed.recover(f -> null)));
        assertEquals("spare", valueOf(failed.recover(f -> "spare", IOException.class)));
        assertSame("another failure type is not recovered", why, failureOf(failed.recover(f -> "spare", IllegalStateException.class)));
        assertEquals("again", valueOf(failed.recoverWith(f -> promises.resolved("again"))));
        assertNull("recoverWith can recover with null", valueOf(failed.recoverWith(f -> promises.resolved(null))));
        assertSame(why, failureOf(failed.recoverWith(f -> null)));
        assertSame(why, failureOf(failed.recoverWith(f -> promises.resolved("x"), IllegalStateException.class)));
        LockFreePromise<String> fine = promises.resolved("fine");
        assertEquals("fine", valueOf(fine.recover(f -> "spare")));
        assertEquals("fine", valueOf(fine.recoverWith(f -> promises.resolved("spare"))));
        assertClean(0);
    }

    @Test
    public void fallbackTo() throws Exception {
        IOException why = new IOException("primary down");
        LockFreePromise<String> failed = promises.failed(why);
        assertEquals("backup", valueOf(failed.fallbackTo(promises.resolved("backup"))));
        assertSame("the fallback's failure is not reported, the promise's own is", why,
                failureOf(failed.fallbackTo(promises.failed(new IllegalStateException("backup down")))));
        assertSame(why, failureOf(failed.fallbackTo(promises.resolved("backup"), IllegalStateException.class)));
        assertEquals("primary", valueOf(promises.resolved("primary").fallbackTo(promises.resolved("backup"))));
        LockFreePromise<String> laterBackup = promises.unresolved();
        Promise<String> waits = failed.fallbackTo(laterBackup);
        flush();
        assertFalse(waits.isDone());
        laterBackup.resolve("late backup");
        assertEquals("late backup", valueOf(waits));
        assertClean(0);
    }

    @Test
    public void toCompletionStage() throws Exception {
        LockFreePromise<String> p = promises.unresolved();
        CompletableFuture<String> f = p.toCompletionStage().toCompletableFuture();
        assertFalse(f.isDone());
        p.resolve("staged");
        assertEquals("staged", f.get(LIVENESS_SECONDS, TimeUnit.SECONDS));
        IOException why = new IOException("x");
        CompletableFuture<String> failed = promises.<String>failed(why).toCompletionStage().toCompletableFuture();
        ExecutionException e = assertThrows(ExecutionException.class, () -> failed.get(LIVENESS_SECONDS, TimeUnit.SECONDS));
        assertSame(why, e.getCause());
        assertClean(0);
    }

    /**
     * A chain of promises each resolved by the next (what a long recursive flatMap builds) resolves
     * link by link on one thread; past the inline bound links go to the completion pool, so the
     * Java stack stays bounded however long the chain.
     */
    @Test
    public void aLongChainOfPromisesResolvingEachOtherDoesNotGrowTheStack() throws Exception {
        int length = 100_000;
        LockFreePromise<Integer> last = promises.unresolved();
        LockFreePromise<Integer> first = last;
        for (int i = 0; i < length; i++) {
            LockFreePromise<Integer> before = promises.unresolved();
            before.resolveWith(first);
            first = before;
        }
        last.resolve(length);
        assertEquals(Integer.valueOf(length), valueOf(first));
        assertClean(0);
    }

    // ---------------------------------------------------------------- timeout and delay

    @Test
    public void aTimeoutThatExpiresFailsTheChainedPromiseWithTimeoutException() throws Exception {
        LockFreePromise<String> p = promises.unresolved();
        Promise<String> timed = p.timeout(5_000);
        Runnable expiry = timers.expireByHand();
        assertTrue("timeout() arms a timer of the manager", expiry != null);
        ExecutionLevel.runAtDispatch("test timer DPC", expiry);
        assertTrue(failureOf(timed) instanceof TimeoutException);
        p.resolve("too late");
        flush();
        assertTrue("the late resolution changes nothing", timed.getFailure() instanceof TimeoutException);
        assertEquals("too late", p.getValue());
        assertClean(0);
    }

    @Test
    public void aResolutionBeforeTheTimeoutWinsAndCancelsTheTimer() throws Exception {
        LockFreePromise<String> p = promises.unresolved();
        Promise<String> timed = p.timeout(5_000);
        ExecutionLevel.runAtDispatch("test completion", () -> p.resolve("in time"));
        assertEquals("in time", valueOf(timed));
        assertNull("the timer was cancelled", timers.expireByHand());
        assertSame("a resolved promise cannot time out", p, p.timeout(1));
        Promise<String> immediate = promises.<String>unresolved().timeout(-1);
        ExecutionLevel.runAtDispatch("test timer DPC", timers.expireByHand());
        assertTrue("zero and negative timeouts expire at once", failureOf(immediate) instanceof TimeoutException);
        assertClean(0);
    }

    @Test
    public void delayResolvesAfterTheResolutionAndTheTimer() throws Exception {
        LockFreePromise<String> p = promises.unresolved();
        Promise<String> delayed = p.delay(5_000);
        assertNull("the delay starts at the resolution", timers.expireByHand());
        p.resolve("value");
        Runnable expiry = timers.expireByHand();
        assertTrue(expiry != null);
        flush();
        assertFalse(delayed.isDone());
        ExecutionLevel.runAtDispatch("test timer DPC", expiry);
        assertEquals("value", valueOf(delayed));
        assertEquals("no delay for zero", "now", valueOf(promises.resolved("now").delay(0)));
        IOException why = new IOException("delayed failure");
        Promise<String> delayedFailure = promises.<String>failed(why).delay(10);
        ExecutionLevel.runAtDispatch("test timer DPC", timers.expireByHand());
        assertSame(why, failureOf(delayedFailure));
        assertClean(0);
    }

    @Test
    public void aTimeoutOfLongMaxValueIsArmedAndDoesNotHoldOffEarlierTimers() throws Exception {
        // the real timer thread this time: a wrapped deadline sorted first and starved the heap
        Timers running = new Timers(dpcs, "promise-test-running", 0);
        try {
            IoPromises withRunningTimers = new IoPromises(dpcs, running);
            Promise<String> never = withRunningTimers.<String>unresolved().timeout(Long.MAX_VALUE);
            Promise<String> soon = withRunningTimers.<String>unresolved().timeout(1);
            assertTrue(failureOf(soon) instanceof TimeoutException);
            assertFalse(never.isDone());
        } finally {
            running.shutdown();
            running.awaitStopped(TimeUnit.SECONDS.toMillis(LIVENESS_SECONDS));
        }
        assertClean(0);
    }

    @Test
    public void callbacksSeeTheirPromiseResolvedAndGetValueDoesNotWaitThere() throws Exception {
        LockFreePromise<String> p = promises.unresolved();
        AtomicReference<String> read = new AtomicReference<>();
        p.onResolve(() -> {
            try {
                read.set(p.getValue());
            } catch (Exception e) {
                fail("getValue in a callback threw " + e);
            }
        });
        p.resolve("in callback");
        flush();
        assertEquals("in callback", read.get());
        assertClean(0);
    }
}
