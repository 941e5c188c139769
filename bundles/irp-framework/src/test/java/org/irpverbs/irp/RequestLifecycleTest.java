package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Rule;
import org.junit.Test;
import org.osgi.util.promise.Promise;

/**
 * A request's whole life, from its first send to its final completion and reuse: its timeout
 * across retries, promises that settle, cancel status ownership, the level a routine returns at, a
 * dispatch routine that throws after pending, statistics of a device that skips its location,
 * stack-location checks on every pass-down, completion routines that hold their device, reuse
 * with a status, and synchronous retries that do not grow the Java stack.
 */
public class RequestLifecycleTest {
    private static final long LONG_TIMEOUT = TimeUnit.SECONDS.toNanos(60);

    @Rule
    public final FrameworkRule fw = new FrameworkRule();

    // ---- the timeout belongs to the whole life of the request ----

    /**
     * A bottom device that fails the first request it sees at once and queues the rest: the first
     * attempt of a retried request ends inside send(), so a timeout can only meet the retry, and
     * the outcome is the same whenever the timer fires (before the retry is queued the cancel flag
     * makes the queue complete it at once; after, the cancel routine does).
     */
    private static final class FailFirstThenQueue {
        final java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        volatile CancelSafeQueue queue;

        DeviceObject create(IoManager io) {
            DeviceObject pdo = io.createPhysicalDevice(DriverObject.builder("fail-first")
                    .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
                        if (first.getAndSet(false)) {
                            irp.complete(NtStatus.UNSUCCESSFUL);
                            return NtStatus.UNSUCCESSFUL;
                        }
                        return queue.insert(irp);
                    }).build(), "fail-first-pdo", List.of("TEST\\FAILFIRST"), null);
            queue = new CancelSafeQueue(pdo, "fail-first-queue");
            return pdo;
        }
    }

    @Test
    public void timeoutStillCancelsARequestThatACompletionRoutineRetried() throws Exception {
        List<String> trace = TestStacks.trace();
        DeviceObject pdo = new FailFirstThenQueue().create(fw.io());
        fw.io().attach(fw.io().createDevice(TestStacks.retryingDriver(2, new AtomicInteger(), trace), "retry", DeviceObject.Kind.FILTER, null), pdo);
        CountDownLatch done = new CountDownLatch(1);
        Irp irp = TestStacks.internal(pdo, TestStacks.QUEUE).setTimeoutNanos(TimeUnit.MILLISECONDS.toNanos(20))
                .setCompletionListener(r -> done.countDown());
        fw.io().send(pdo, irp);
        assertTrue("the retried request must still time out", done.await(30, TimeUnit.SECONDS));
        assertEquals(NtStatus.IO_TIMEOUT, irp.status());
        assertEquals(List.of("attempt 1 STATUS_UNSUCCESSFUL", "attempt 2 STATUS_IO_TIMEOUT"), trace);
        assertEquals(new DeviceStatistics(0, 0, 1, 0, 1), pdo.statistics());
        assertEquals(0, ((IoManagerImpl) fw.io()).pendingTimers());
        fw.assertClean();
    }

    @Test
    public void finalCompletionDisarmsTheTimeoutOfARetriedRequest() {
        List<String> trace = TestStacks.trace();
        FailFirstThenQueue bottom = new FailFirstThenQueue();
        DeviceObject pdo = bottom.create(fw.io());
        fw.io().attach(fw.io().createDevice(TestStacks.retryingDriver(2, new AtomicInteger(), trace), "retry", DeviceObject.Kind.FILTER, null), pdo);
        Irp irp = TestStacks.internal(pdo, TestStacks.QUEUE).setTimeoutNanos(LONG_TIMEOUT);
        fw.io().send(pdo, irp);
        assertEquals("the timer stays armed across the retry", 1, ((IoManagerImpl) fw.io()).pendingTimers());
        Irp retried = bottom.queue.removeNext();
        assertSame(irp, retried);
        retried.complete(NtStatus.SUCCESS);
        assertTrue(irp.isCompleted());
        assertEquals(List.of("attempt 1 STATUS_UNSUCCESSFUL", "attempt 2 STATUS_SUCCESS"), trace);
        assertEquals(0, ((IoManagerImpl) fw.io()).pendingTimers());
        fw.assertClean();
    }

    // ---- every promise settles ----

    @Test
    public void submitOfACompletedRequestThatWasNotReusedFailsThePromise() {
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()));
        AtomicInteger listened = new AtomicInteger();
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO).setTimeoutNanos(LONG_TIMEOUT)
                .setCompletionListener(r -> listened.incrementAndGet());
        fw.io().send(pdo, irp);
        assertEquals(1, listened.get());
        Promise<Irp> again = fw.io().submit(pdo, irp);
        assertTrue("the promise of a refused submit must settle at once", again.isDone());
        Throwable failure = failureOf(again);
        assertTrue(String.valueOf(failure), failure instanceof IllegalStateException
                && failure.getMessage().contains("without reuse()"));
        assertEquals("a refused send arms no timer", 0, ((IoManagerImpl) fw.io()).pendingTimers());
        // the refused submit left the request as it was: its own listener still runs on the next send
        irp.reuse();
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL);
        fw.io().send(pdo, irp);
        assertEquals(2, listened.get());
        fw.expectBugs(1);
        fw.assertClean();
    }

    @Test
    public void submitWithoutADeviceOrRequestFailsThePromise() {
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()));
        assertTrue(failureOf(fw.io().submit(null, new Irp(1))) instanceof IllegalArgumentException);
        assertTrue(failureOf(fw.io().submit(pdo, null)) instanceof IllegalArgumentException);
        assertThrows(IllegalArgumentException.class, () -> fw.io().send(null, new Irp(1)));
        assertStatusFailure(NtStatus.INVALID_PARAMETER, fw.io().internalDeviceControl(null, TestStacks.ECHO, null, null, null));
        assertStatusFailure(NtStatus.INVALID_PARAMETER, fw.io().queryInterface(null, Runnable.class));
        assertStatusFailure(NtStatus.INVALID_PARAMETER, fw.io().queryInterface(pdo, null));
        fw.assertClean();
    }

    private static void assertStatusFailure(int status, Promise<?> promise) {
        Throwable failure = failureOf(promise);
        assertTrue(String.valueOf(failure), failure instanceof IoStatusException);
        assertEquals(status, ((IoStatusException) failure).status());
    }

    private static Throwable failureOf(Promise<?> promise) {
        assertTrue(promise.isDone());
        try {
            return promise.getFailure();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    // ---- the cancel that owns the request decides its status ----

    @Test
    public void laterCancelWithoutARoutineDoesNotOverwriteTheStatusOfTheCancelThatOwnsTheRequest() {
        // The cancel routine runs the exact interleaving of a timeout that fires while a caller's
        // cancel is completing the request: the timer's cancel finds no routine (ours took it).
        DriverObject cancellable = DriverObject.builder("own-cancel").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL,
                (d, irp) -> {
                    irp.markPending();
                    irp.setCancelRoutine((dev, r) -> {
                        assertFalse(r.cancel(NtStatus.IO_TIMEOUT, r.generation()));
                        r.complete(r.cancelStatus());
                    });
                    return NtStatus.PENDING;
                }).build();
        DeviceObject pdo = TestStacks.stack(fw.io(), cancellable);
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO);
        assertEquals(NtStatus.PENDING, fw.io().send(pdo, irp));
        assertTrue(irp.cancel());
        assertTrue(irp.isCompleted());
        assertEquals(NtStatus.CANCELLED, irp.status());
        assertEquals(1, pdo.statistics().cancelled());
        assertEquals(0, pdo.statistics().timedOut());
        fw.assertClean();
    }

    @Test
    public void firstCancelOfAnUnqueuedRequestDecidesTheStatusItIsQueuedWith() {
        QueueingDriver q = new QueueingDriver("q");
        DeviceObject pdo = q.create(fw.io(), "q0");
        Irp irp = TestStacks.internal(pdo, TestStacks.QUEUE);
        assertFalse(irp.cancel());
        assertFalse("a later timeout finds nothing to cancel", irp.cancel(NtStatus.IO_TIMEOUT, irp.generation()));
        assertEquals(NtStatus.CANCELLED, fw.io().send(pdo, irp));
        assertEquals(NtStatus.CANCELLED, irp.status());
        fw.assertClean();
    }

    // ---- a routine returns at the level it was called at ----

    @Test
    public void completionRoutineThatReturnsAtPassiveIsReportedAndTheListenerStillRunsAtDispatch() {
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()),
                DriverObject.builder("lowering").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
                    irp.copyCurrentToNext();
                    irp.setCompletionRoutine((self, r, c) -> {
                        ExecutionLevel.lower(ExecutionLevel.PASSIVE);
                        return CompletionRoutine.CONTINUE_COMPLETION;
                    }, null);
                    return d.lowerDevice().callDriver(irp);
                }).build());
        AtomicReference<ExecutionLevel> listenerLevel = new AtomicReference<>();
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO).setCompletionListener(r -> listenerLevel.set(ExecutionLevel.current()));
        fw.io().send(pdo, irp);
        assertEquals(ExecutionLevel.DISPATCH, listenerLevel.get());
        assertEquals(ExecutionLevel.PASSIVE, ExecutionLevel.current());
        assertTrue(DriverVerifier.recentBugs().toString(), DriverVerifier.recentBugs().get(0).contains("returned at PASSIVE"));
        fw.expectBugs(1);
        fw.assertClean();
    }

    @Test
    public void dispatchRoutineThatReturnsAtDispatchIsReportedAndTheCallerIsBackAtPassive() {
        DriverObject raising = DriverObject.builder("raising").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
            ExecutionLevel.raise();
            irp.complete(NtStatus.SUCCESS);
            return NtStatus.SUCCESS;
        }).build();
        DeviceObject pdo = TestStacks.stack(fw.io(), raising);
        fw.io().send(pdo, TestStacks.internal(pdo, TestStacks.ECHO));
        assertEquals(ExecutionLevel.PASSIVE, ExecutionLevel.current());
        assertTrue(DriverVerifier.recentBugs().toString(), DriverVerifier.recentBugs().get(0).contains("returned at DISPATCH"));
        fw.expectBugs(1);
        fw.assertClean();
    }

    @Test
    public void cancelRoutineThatReturnsAtPassiveIsReported() {
        DriverObject lowering = DriverObject.builder("lowering-cancel").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL,
                (d, irp) -> {
                    irp.markPending();
                    irp.setCancelRoutine((dev, r) -> {
                        ExecutionLevel.lower(ExecutionLevel.PASSIVE);
                        r.complete(r.cancelStatus());
                    });
                    return NtStatus.PENDING;
                }).build();
        DeviceObject pdo = TestStacks.stack(fw.io(), lowering);
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO);
        fw.io().send(pdo, irp);
        ExecutionLevel before = ExecutionLevel.raise("test caller at DISPATCH");
        try {
            assertTrue(irp.cancel());
            assertEquals("the caller of cancel() is back at its own level", ExecutionLevel.DISPATCH, ExecutionLevel.current());
        } finally {
            ExecutionLevel.lower(before);
        }
        assertTrue(DriverVerifier.recentBugs().toString(), DriverVerifier.recentBugs().get(0).contains("returned at PASSIVE"));
        fw.expectBugs(1);
        fw.assertClean();
    }

    // ---- a dispatch routine that throws leaves nothing behind ----

    @Test
    public void dispatchThatMarksPendingAndThrowsLeavesNoRequestOrRemoveLockBehind() {
        DriverObject broken = DriverObject.builder("pend-then-throw").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL,
                (d, irp) -> {
                    irp.markPending();
                    throw new IllegalStateException("boom after pending");
                }).build();
        DeviceObject pdo = TestStacks.stack(fw.io(), broken, TestStacks.passThroughDriver("top", TestStacks.trace()));
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO);
        assertEquals(NtStatus.INTERNAL_ERROR, fw.io().send(pdo, irp));
        assertTrue(irp.isCompleted());
        assertEquals(NtStatus.INTERNAL_ERROR, irp.status());
        assertRemoveDrainsAtOnce(pdo);
        assertRemoveDrainsAtOnce(pdo.attachedTop());
        fw.expectBugs(1);
        fw.assertClean();
    }

    @Test
    public void dispatchThatQueuesAndThrowsTakesTheRequestBackFromTheQueue() {
        AtomicReference<CancelSafeQueue> queue = new AtomicReference<>();
        DriverObject broken = DriverObject.builder("queue-then-throw").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL,
                (d, irp) -> {
                    queue.get().insert(irp);
                    throw new IllegalStateException("boom after queueing");
                }).build();
        DeviceObject pdo = TestStacks.stack(fw.io(), broken);
        queue.set(new CancelSafeQueue(pdo, "q"));
        AtomicInteger completions = new AtomicInteger();
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO).setCompletionListener(r -> completions.incrementAndGet());
        assertEquals(NtStatus.INTERNAL_ERROR, fw.io().send(pdo, irp));
        assertEquals(NtStatus.INTERNAL_ERROR, irp.status());
        assertEquals(0, queue.get().size());
        assertEquals(0, queue.get().flush(NtStatus.CANCELLED));
        assertFalse(irp.cancel());
        assertEquals(1, completions.get());
        assertRemoveDrainsAtOnce(pdo);
        fw.expectBugs(1);
        fw.assertClean();
    }

    @Test
    public void dispatchThatDequeuesItsOwnRequestAndThrowsLeavesNothingBehind() {
        AtomicReference<CancelSafeQueue> queue = new AtomicReference<>();
        DriverObject broken = DriverObject.builder("dequeue-then-throw").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL,
                (d, irp) -> {
                    queue.get().insert(irp);
                    queue.get().removeNext();
                    throw new IllegalStateException("boom after dequeueing");
                }).build();
        DeviceObject pdo = TestStacks.stack(fw.io(), broken);
        queue.set(new CancelSafeQueue(pdo, "q"));
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO);
        assertEquals(NtStatus.INTERNAL_ERROR, fw.io().send(pdo, irp));
        assertTrue(irp.isCompleted());
        assertRemoveDrainsAtOnce(pdo);
        fw.expectBugs(1);
        fw.assertClean();
    }

    private static void assertRemoveDrainsAtOnce(DeviceObject device) {
        assertEquals(0, device.statistics().inFlight());
        AtomicInteger drained = new AtomicInteger();
        device.removeLock().beginRemove(NtStatus.DELETE_PENDING, drained::incrementAndGet);
        assertEquals("REMOVE of " + device.name() + " must not wait for a request nobody holds", 1, drained.get());
    }

    // ---- statistics of a device that skips its location ----

    private static DriverObject skippingDriver() {
        return DriverObject.builder("skip").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
            irp.skipCurrentLocation();
            return d.lowerDevice().callDriver(irp);
        }).build();
    }

    @Test
    public void skippingDeviceCountsTheStatusTheBottomCompletedWith() {
        QueueingDriver q = new QueueingDriver("q");
        DeviceObject pdo = q.create(fw.io(), "q0");
        DeviceObject skipper = fw.io().createDevice(skippingDriver(), "skipper", DeviceObject.Kind.FILTER, null);
        fw.io().attach(skipper, pdo);
        fw.io().attach(fw.io().createDevice(TestStacks.passThroughDriver("top", TestStacks.trace()), "top",
                DeviceObject.Kind.FILTER, null), pdo);
        Irp failing = TestStacks.internal(pdo, TestStacks.QUEUE);
        fw.io().send(pdo, failing);
        assertEquals("a skipped request is in flight at the skipping device until it completes", 1,
                skipper.statistics().inFlight());
        assertTrue(q.completeNext(NtStatus.UNSUCCESSFUL));
        Irp succeeding = TestStacks.internal(pdo, TestStacks.QUEUE);
        fw.io().send(pdo, succeeding);
        assertTrue(q.completeNext(NtStatus.SUCCESS));
        Irp cancelled = TestStacks.internal(pdo, TestStacks.QUEUE);
        fw.io().send(pdo, cancelled);
        assertTrue(cancelled.cancel());
        assertEquals(new DeviceStatistics(0, 1, 1, 1, 0), skipper.statistics());
        assertEquals(pdo.statistics(), skipper.statistics());
        assertEquals(pdo.statistics(), pdo.attachedTop().statistics());
        // as in Windows the skipping device's remove lock is not held for what it passed on: its
        // removal does not wait for a request queued below it (the lower device's removal fails that)
        Irp queued = TestStacks.internal(pdo, TestStacks.QUEUE);
        fw.io().send(pdo, queued);
        AtomicInteger drained = new AtomicInteger();
        skipper.removeLock().beginRemove(NtStatus.DELETE_PENDING, drained::incrementAndGet);
        assertEquals(1, drained.get());
        assertEquals(1, skipper.statistics().inFlight());
        assertEquals(1, q.queue.flush(NtStatus.DELETE_PENDING));
        assertEquals(new DeviceStatistics(0, 1, 2, 1, 0), skipper.statistics());
        fw.assertClean();
    }

    @Test
    public void chainOfSkippingDevicesOverOneStackLocationCountsEveryOutcome() {
        DeviceObject pdo = fw.io().createPhysicalDevice(DriverObject.builder("failing")
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
                    irp.complete(NtStatus.UNSUCCESSFUL);
                    return NtStatus.UNSUCCESSFUL;
                }).build(), "failing-pdo", List.of("TEST\\FAIL"), null);
        DeviceObject[] skippers = new DeviceObject[5];
        for (int i = 0; i < skippers.length; i++) {
            skippers[i] = fw.io().createDevice(skippingDriver(), "skip-" + i, DeviceObject.Kind.FILTER, null);
            fw.io().attach(skippers[i], pdo);
        }
        // every layer skips onto the same location: six devices hold the request through one of them
        Irp irp = Irp.forDevice(pdo);
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL);
        assertEquals(NtStatus.UNSUCCESSFUL, pdo.attachedTop().callDriver(irp));
        assertEquals(NtStatus.UNSUCCESSFUL, irp.status());
        for (DeviceObject d : skippers) {
            assertEquals(d.name(), new DeviceStatistics(0, 0, 1, 0, 0), d.statistics());
        }
        fw.assertClean();
    }

    // ---- the stack-location count is checked on every pass-down ----

    @Test
    public void passingARequestToADeeperStackThanItHasLocationsForIsRefusedBeforeThatStackRuns() {
        List<String> trace = TestStacks.trace();
        DeviceObject other = TestStacks.stack(fw.io(), TestStacks.completingDriver("other-bottom", trace),
                TestStacks.passThroughDriver("other-top", trace));
        DriverObject forwarder = DriverObject.builder("forwarder").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
            irp.copyCurrentToNext();
            return other.attachedTop().callDriver(irp); // the request has one location left; that stack needs two
        }).build();
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", trace), forwarder);
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO);
        assertEquals(NtStatus.INVALID_PARAMETER, fw.io().send(pdo, irp));
        assertEquals(NtStatus.INVALID_PARAMETER, irp.status());
        assertTrue(irp.isCompleted());
        assertEquals("no device of the deeper stack saw the request", List.of(), trace);
        assertEquals(0, other.attachedTop().statistics().inFlight() + other.attachedTop().statistics().failed());
        assertTrue(DriverVerifier.recentBugs().toString(), DriverVerifier.recentBugs().get(0).contains("needs 2"));
        fw.expectBugs(1);
        fw.assertClean();
    }

    @Test
    public void ownRequestWithTooFewLocationsIsRefusedByCallDriverUnchanged() {
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()),
                TestStacks.passThroughDriver("top", TestStacks.trace()));
        Irp irp = new Irp(1);
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pdo.attachedTop().callDriver(irp));
        assertTrue(e.getMessage(), e.getMessage().contains("needs 2"));
        assertFalse("the refused request was not sent", irp.isActive() || irp.isCompleted());
        fw.expectBugs(1);
        fw.assertClean();
    }

    // ---- a completion routine holds its device until it has run ----

    @Test
    public void completionRoutineExHoldsTheRemovalOfItsDeviceUntilItHasRun() {
        QueueingDriver q = new QueueingDriver("q");
        DeviceObject target = q.create(fw.io(), "q0");
        DeviceObject sender = TestStacks.stack(fw.io(), TestStacks.completingDriver("sender", TestStacks.trace()));
        List<String> order = TestStacks.trace();
        Irp own = TestStacks.internal(target, TestStacks.QUEUE);
        assertEquals(NtStatus.SUCCESS, own.setCompletionRoutineEx(sender, (self, r, c) -> {
            order.add("routine of " + self.name());
            return NtStatus.MORE_PROCESSING_REQUIRED;
        }, null, true, true, true));
        assertEquals(NtStatus.PENDING, target.callDriver(own));
        assertEquals("the reference is not a request of the sender", new DeviceStatistics(0, 0, 0, 0, 0), sender.statistics());
        sender.removeLock().beginRemove(NtStatus.DELETE_PENDING, () -> order.add("sender drained"));
        assertEquals(List.of(), order);
        assertTrue(q.completeNext(NtStatus.SUCCESS));
        assertEquals(List.of("routine of sender-pdo", "sender drained"), order);
        assertEquals(new DeviceStatistics(0, 0, 0, 0, 0), sender.statistics());
        own.reuse(NtStatus.SUCCESS);
        fw.assertClean();
    }

    @Test
    public void completionRoutineExOnADeviceBeingRemovedIsRefused() {
        DeviceObject sender = TestStacks.stack(fw.io(), TestStacks.completingDriver("sender", TestStacks.trace()));
        sender.removeLock().beginRemove(NtStatus.DELETE_PENDING, () -> { });
        Irp own = new Irp(1);
        assertEquals(NtStatus.DELETE_PENDING, own.setCompletionRoutineEx(sender, (self, r, c) -> CompletionRoutine.CONTINUE_COMPLETION,
                null, true, true, true));
        assertThrows(IllegalArgumentException.class, () -> own.setCompletionRoutineEx(null,
                (self, r, c) -> CompletionRoutine.CONTINUE_COMPLETION, null, true, true, true));
        fw.assertClean();
    }

    @Test
    public void completionRoutineExThatIsNotInvokedOrIsReplacedReleasesItsDevice() {
        DeviceObject target = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()));
        DeviceObject sender = TestStacks.stack(fw.io(), TestStacks.completingDriver("sender", TestStacks.trace()));
        Irp own = TestStacks.internal(target, TestStacks.ECHO);
        // invoked on errors only: the request succeeds, the routine does not run, the reference goes
        own.setCompletionRoutineEx(sender, (self, r, c) -> CompletionRoutine.CONTINUE_COMPLETION, null, false, true, true);
        target.callDriver(own);
        assertTrue(own.isCompleted());
        own.reuse(NtStatus.SUCCESS);
        own.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL);
        own.setCompletionRoutineEx(sender, (self, r, c) -> CompletionRoutine.CONTINUE_COMPLETION, null, true, true, true);
        own.setCompletionRoutine((self, r, c) -> CompletionRoutine.CONTINUE_COMPLETION, null); // replaces it
        own.reuse(NtStatus.SUCCESS);
        own.setCompletionRoutineEx(sender, (self, r, c) -> CompletionRoutine.CONTINUE_COMPLETION, null, true, true, true);
        own.reuse(NtStatus.SUCCESS); // never sent
        AtomicInteger drained = new AtomicInteger();
        sender.removeLock().beginRemove(NtStatus.DELETE_PENDING, drained::incrementAndGet);
        assertEquals(1, drained.get());
        fw.assertClean();
    }

    // ---- reuse takes a status and ends the request's timer ----

    @Test
    public void reuseAfterTheOriginatorsRoutineKeptTheRequestSetsTheStatusAndCancelsItsTimer() {
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()));
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO).setTimeoutNanos(LONG_TIMEOUT);
        AtomicInteger listened = new AtomicInteger();
        irp.setCompletionListener(r -> listened.incrementAndGet());
        // as a Windows driver does with its own IRP: the routine keeps it (MORE_PROCESSING_REQUIRED)
        irp.setCompletionRoutine((self, r, c) -> NtStatus.MORE_PROCESSING_REQUIRED, null);
        fw.io().send(pdo, irp);
        assertFalse(irp.isCompleted());
        assertEquals(1, ((IoManagerImpl) fw.io()).pendingTimers());
        assertSame(irp, irp.reuse(NtStatus.UNSUCCESSFUL));
        assertEquals(NtStatus.UNSUCCESSFUL, irp.status());
        assertFalse(irp.isActive());
        assertEquals("reuse ends the timer of the previous send", 0, ((IoManagerImpl) fw.io()).pendingTimers());
        assertEquals("the originator kept the request: its listener was not called", 0, listened.get());
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL);
        assertEquals(NtStatus.SUCCESS, fw.io().send(pdo, irp));
        assertTrue(irp.isCompleted());
        assertEquals(0, ((IoManagerImpl) fw.io()).pendingTimers());
        fw.assertClean();
    }

    @Test
    public void reuseOfARequestALayerStillHoldsIsRefused() {
        QueueingDriver q = new QueueingDriver("q");
        DeviceObject pdo = q.create(fw.io(), "q0");
        Irp irp = TestStacks.internal(pdo, TestStacks.QUEUE);
        fw.io().send(pdo, irp);
        assertThrows(IllegalStateException.class, () -> irp.reuse(NtStatus.SUCCESS));
        assertTrue(q.completeNext(NtStatus.SUCCESS));
        irp.reuse(NtStatus.SUCCESS);
        fw.expectBugs(1);
        fw.assertClean();
    }

    // ---- synchronous retries do not grow the Java stack ----

    @Test
    public void hundredThousandSynchronousRetriesFromACompletionRoutineDoNotOverflowTheStack() {
        int attempts = 100_000;
        AtomicInteger seen = new AtomicInteger();
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", new NullList()),
                TestStacks.retryingDriver(attempts, seen, null));
        AtomicInteger listened = new AtomicInteger();
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO).setCompletionListener(r -> listened.incrementAndGet());
        assertEquals(NtStatus.SUCCESS, fw.io().send(pdo, irp));
        assertEquals(attempts, seen.get());
        assertEquals(1, listened.get());
        assertTrue(irp.isCompleted());
        assertEquals(new DeviceStatistics(0, attempts, 0, 0, 0), pdo.statistics());
        assertEquals(new DeviceStatistics(0, 1, 0, 0, 0), pdo.attachedTop().statistics());
        fw.assertClean();
    }

    @Test
    public void synchronousRetryThroughAMiddleLayerRunsEveryRoutineInOrder() {
        List<String> trace = TestStacks.trace();
        AtomicInteger seen = new AtomicInteger();
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", trace),
                TestStacks.passThroughDriver("middle", trace), TestStacks.retryingDriver(3, seen, trace));
        AtomicInteger listened = new AtomicInteger();
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO).setCompletionListener(r -> {
            trace.add("listener");
            listened.incrementAndGet();
        });
        fw.io().send(pdo, irp);
        assertEquals(List.of("dispatch middle-0", "dispatch bottom-pdo", "completion middle-0", "attempt 1 STATUS_SUCCESS",
                "dispatch middle-0", "dispatch bottom-pdo", "completion middle-0", "attempt 2 STATUS_SUCCESS",
                "dispatch middle-0", "dispatch bottom-pdo", "completion middle-0", "attempt 3 STATUS_SUCCESS", "listener"), trace);
        assertEquals(1, listened.get());
        fw.assertClean();
    }

    @Test
    public void routineThatResendsAndStillContinuesTheCompletionIsReportedAndTheRequestCompletesOnce() {
        AtomicInteger listened = new AtomicInteger();
        DriverObject confused = DriverObject.builder("confused").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
            irp.copyCurrentToNext();
            irp.setCompletionRoutine(new CompletionRoutine() {
                boolean resent;

                @Override
                public int onCompletion(DeviceObject self, Irp request, Object context) {
                    if (!resent) {
                        resent = true;
                        request.copyCurrentToNext();
                        request.setCompletionRoutine(this, null);
                        self.lowerDevice().callDriver(request);
                    }
                    return CompletionRoutine.CONTINUE_COMPLETION; // wrong the first time: it re-sent
                }
            }, null);
            return d.lowerDevice().callDriver(irp);
        }).build();
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()), confused);
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO).setCompletionListener(r -> listened.incrementAndGet());
        fw.io().send(pdo, irp);
        assertTrue(irp.isCompleted());
        assertEquals(1, listened.get());
        assertEquals(0, pdo.statistics().inFlight());
        assertEquals(0, pdo.attachedTop().statistics().inFlight());
        assertNotNull(DriverVerifier.recentBugs().get(0));
        assertTrue(DriverVerifier.recentBugs().get(0), DriverVerifier.recentBugs().get(0).contains("CONTINUE_COMPLETION"));
        fw.expectBugs(1);
        fw.assertClean();
    }

    /** A trace that keeps nothing, for the 100,000-attempt run. */
    private static final class NullList extends java.util.AbstractList<String> {
        @Override
        public boolean add(String s) {
            return true;
        }

        @Override
        public String get(int index) {
            throw new IndexOutOfBoundsException(index);
        }

        @Override
        public int size() {
            return 0;
        }
    }
}
