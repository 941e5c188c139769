package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Rule;
import org.junit.Test;

/** Dispatch, pass-down, completion exactly once, completion routines and their order, pending. */
public class IrpTest {
    @Rule
    public final FrameworkRule fw = new FrameworkRule();

    @Test
    public void requestTravelsDownAndCompletionRoutinesRunBottomUp() {
        List<String> trace = TestStacks.trace();
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", trace),
                TestStacks.passThroughDriver("middle", trace), TestStacks.passThroughDriver("top", trace));
        assertEquals(3, pdo.attachedTop().stackSize());
        AtomicInteger listened = new AtomicInteger();
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO).setCompletionListener(done -> listened.incrementAndGet());
        int status = fw.io().send(pdo, irp);
        assertEquals(NtStatus.SUCCESS, status);
        assertEquals(List.of("dispatch top-1", "dispatch middle-0", "dispatch bottom-pdo", "completion middle-0",
                "completion top-1"), trace);
        assertEquals(1, listened.get());
        assertTrue(irp.isCompleted());
        assertEquals(42, irp.information());
        fw.assertClean();
    }

    @Test
    public void completionRoutineRunsAtDispatch() {
        AtomicReference<ExecutionLevel> seen = new AtomicReference<>();
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()),
                DriverObject.builder("probe").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
                    irp.copyCurrentToNext();
                    irp.setCompletionRoutine((self, r, c) -> {
                        seen.set(ExecutionLevel.current());
                        return CompletionRoutine.CONTINUE_COMPLETION;
                    }, null);
                    return d.lowerDevice().callDriver(irp);
                }).build());
        fw.io().send(pdo, TestStacks.internal(pdo, TestStacks.ECHO));
        assertEquals(ExecutionLevel.DISPATCH, seen.get());
        assertEquals(ExecutionLevel.PASSIVE, ExecutionLevel.current());
        fw.assertClean();
    }

    @Test
    public void secondCompletionIsReportedAndThrown() {
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()));
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO);
        fw.io().send(pdo, irp);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> irp.complete(NtStatus.SUCCESS));
        assertTrue(e.getMessage(), e.getMessage().contains("completed twice"));
        fw.expectBugs(1);
        fw.assertClean();
    }

    @Test
    public void useAfterCompletionIsReported() {
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()));
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO);
        fw.io().send(pdo, irp);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pdo.callDriver(irp));
        assertTrue(e.getMessage(), e.getMessage().contains("used after completion"));
        fw.expectBugs(1);
        fw.assertClean();
    }

    @Test
    public void completingAnUnsentRequestIsReported() {
        Irp irp = new Irp(1);
        assertThrows(IllegalStateException.class, () -> irp.complete(NtStatus.SUCCESS));
        fw.expectBugs(1);
        fw.assertClean();
    }

    @Test
    public void tooSmallStackIsRefusedWithAClearMessage() {
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()),
                TestStacks.passThroughDriver("top", TestStacks.trace()));
        Irp irp = new Irp(1);
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fw.io().send(pdo, irp));
        assertTrue(e.getMessage(), e.getMessage().contains("needs 2"));
        assertThrows(IllegalArgumentException.class, () -> new Irp(0));
        fw.assertClean();
    }

    @Test
    public void unknownMajorFunctionIsAnInvalidDeviceRequest() {
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()));
        Irp irp = Irp.forDevice(pdo);
        irp.nextLocation().setMajorFunction(MajorFunction.READ);
        assertEquals(NtStatus.INVALID_DEVICE_REQUEST, fw.io().send(pdo, irp));
        assertEquals(NtStatus.INVALID_DEVICE_REQUEST, irp.status());
        fw.assertClean();
    }

    @Test
    public void dispatchThatThrowsCompletesWithInternalError() {
        DriverObject broken = DriverObject.builder("broken").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
            throw new IllegalStateException("boom");
        }).build();
        DeviceObject pdo = TestStacks.stack(fw.io(), broken);
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO);
        assertEquals(NtStatus.INTERNAL_ERROR, fw.io().send(pdo, irp));
        assertTrue(irp.isCompleted());
        assertEquals(NtStatus.INTERNAL_ERROR, irp.status());
        fw.expectBugs(1);
        fw.assertClean();
    }

    @Test
    public void moreProcessingRequiredStopsTheUnwindAndTheLayerCompletesLater() {
        List<String> trace = TestStacks.trace();
        // the top layer sends the request down twice (a retry), then completes it itself
        DriverObject retrying = TestStacks.retryingDriver(2, new AtomicInteger(), trace);
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", trace), retrying);
        AtomicInteger listened = new AtomicInteger();
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO).setCompletionListener(r -> listened.incrementAndGet());
        fw.io().send(pdo, irp);
        assertEquals(List.of("dispatch bottom-pdo", "attempt 1 STATUS_SUCCESS", "dispatch bottom-pdo",
                "attempt 2 STATUS_SUCCESS"), trace);
        assertEquals(1, listened.get());
        fw.assertClean();
    }

    @Test
    public void pendingRequestCompletesFromAnotherThread() throws Exception {
        AtomicReference<Irp> held = new AtomicReference<>();
        DriverObject pending = DriverObject.builder("pending").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
            irp.markPending();
            held.set(irp);
            return NtStatus.PENDING;
        }).build();
        DeviceObject pdo = TestStacks.stack(fw.io(), pending, TestStacks.passThroughDriver("top", TestStacks.trace()));
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Boolean> pendingSeen = new AtomicReference<>();
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO).setCompletionListener(r -> {
            pendingSeen.set(r.pendingReturned());
            done.countDown();
        });
        assertEquals(NtStatus.PENDING, fw.io().send(pdo, irp));
        assertEquals(1, pdo.statistics().inFlight());
        assertEquals(1, pdo.attachedTop().statistics().inFlight());
        Thread t = new Thread(() -> held.get().complete(NtStatus.SUCCESS, 7));
        t.start();
        assertTrue(done.await(5, TimeUnit.SECONDS));
        t.join();
        assertEquals(7, irp.information());
        assertTrue("the pending mark travelled up to the originator", pendingSeen.get());
        assertEquals(0, pdo.statistics().inFlight());
        assertEquals(1, pdo.statistics().completed());
        fw.assertClean();
    }

    @Test
    public void reuseReadiesACompletedRequestAndRefusesAnActiveOne() {
        AtomicReference<Irp> held = new AtomicReference<>();
        DriverObject pending = DriverObject.builder("pending").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
            irp.markPending();
            held.set(irp);
            return NtStatus.PENDING;
        }).build();
        DeviceObject pdo = TestStacks.stack(fw.io(), pending);
        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO);
        fw.io().send(pdo, irp);
        assertThrows(IllegalStateException.class, irp::reuse);
        held.get().complete(NtStatus.UNSUCCESSFUL);
        irp.reuse();
        assertFalse(irp.isCompleted());
        assertEquals(0, irp.status());
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL);
        assertEquals(NtStatus.PENDING, fw.io().send(pdo, irp));
        held.get().complete(NtStatus.SUCCESS);
        assertTrue(irp.isCompleted());
        assertEquals(1, pdo.statistics().failed());
        assertEquals(1, pdo.statistics().completed());
        fw.expectBugs(1); // the reuse of an active request
        fw.assertClean();
    }

    @Test
    public void promiseViewResolvesWithTheCompletedRequest() throws Exception {
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()));
        Irp done = fw.io().submit(pdo, TestStacks.internal(pdo, TestStacks.ECHO)).getValue();
        assertNotNull(done);
        assertEquals(42, done.information());
        IoResult result = fw.io().internalDeviceControl(pdo, TestStacks.ECHO, null, null, null).getValue();
        assertEquals(NtStatus.SUCCESS, result.status());
        fw.assertClean();
    }

    @Test
    public void statusNamesAndSuccessRule() {
        assertEquals("STATUS_BUFFER_TOO_SMALL", NtStatus.name(NtStatus.BUFFER_TOO_SMALL));
        assertEquals("0x12345678", NtStatus.name(0x12345678));
        assertTrue(NtStatus.isSuccess(NtStatus.PENDING));
        assertFalse(NtStatus.isSuccess(NtStatus.BUFFER_OVERFLOW));
        assertFalse(NtStatus.isSuccess(NtStatus.CANCELLED));
    }

    @Test
    public void ioctlCodeHasTheWindowsLayout() {
        // CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) = 0x00222000 in the DDK
        assertEquals(0x00222000, IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_UNKNOWN, 0x800, IoctlCode.METHOD_BUFFERED,
                IoctlCode.FILE_ANY_ACCESS));
        int code = IoctlCode.ctlCode(0x8000, 0x9AB, IoctlCode.METHOD_OUT_DIRECT, IoctlCode.FILE_WRITE_ACCESS);
        assertEquals(0x8000, IoctlCode.deviceType(code));
        assertEquals(0x9AB, IoctlCode.function(code));
        assertEquals(IoctlCode.METHOD_OUT_DIRECT, IoctlCode.method(code));
        assertEquals(IoctlCode.FILE_WRITE_ACCESS, IoctlCode.access(code));
        assertThrows(IllegalArgumentException.class, () -> IoctlCode.ctlCode(0x10000, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> IoctlCode.ctlCode(1, 0x1000, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> IoctlCode.ctlCode(1, 1, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> IoctlCode.ctlCode(1, 1, 0, -1));
        assertTrue(IoctlCode.toString(code).contains("METHOD_OUT_DIRECT"));
    }

    @Test
    public void autoGeneratedNamesTakeTheFirstFreeIndexAndTakenNamesAreRefused() {
        DriverObject d = TestStacks.completingDriver("d", TestStacks.trace());
        assertEquals("dev0", fw.io().createDevice(d, "dev#", DeviceObject.Kind.FUNCTION, null).name());
        assertEquals("dev1", fw.io().createDevice(d, "dev#", DeviceObject.Kind.FUNCTION, null).name());
        IllegalArgumentException taken = assertThrows(IllegalArgumentException.class,
                () -> fw.io().createDevice(d, "dev0", DeviceObject.Kind.FUNCTION, null));
        assertTrue(taken.getMessage().contains("already exists"));
        assertThrows(IllegalArgumentException.class, () -> fw.io().createDevice(d, " ", DeviceObject.Kind.FUNCTION, null));
        assertThrows(IllegalArgumentException.class, () -> fw.io().createPhysicalDevice(d, "p", List.of(), null));
        fw.assertClean();
    }

    /** Promise timeouts are armed and cancelled on the manager's lock-free timers, so resolving at DISPATCH never blocks. */
    @Test
    public void promiseTimeoutsNeverBlockTheResolvingThread() throws Exception {
        DeviceObject pdo = TestStacks.stack(fw.io(), TestStacks.completingDriver("bottom", TestStacks.trace()));
        for (int i = 0; i < 2000; i++) {
            Irp done = fw.io().submit(pdo, TestStacks.internal(pdo, TestStacks.ECHO)).timeout(10_000).getValue();
            assertEquals(42, done.information());
        }
        AtomicReference<Irp> held = new AtomicReference<>();
        DriverObject never = DriverObject.builder("never").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
            irp.markPending();
            held.set(irp);
            return NtStatus.PENDING;
        }).build();
        DeviceObject silent = TestStacks.stack(fw.io(), never);
        org.osgi.util.promise.Promise<Irp> p = fw.io().submit(silent, TestStacks.internal(silent, TestStacks.ECHO)).timeout(20);
        assertTrue(p.getFailure() instanceof org.osgi.util.promise.TimeoutException);
        held.get().complete(NtStatus.SUCCESS);
        fw.assertClean();
    }
}
