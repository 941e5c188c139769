package org.irpverbs.irp;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.osgi.util.promise.Promise;

/** The user-mode path: handles scoped to their opener, access and buffer validation, CLEANUP. */
public class DeviceControlTest {
    @Rule
    public final FrameworkRule fw = new FrameworkRule();

    private DeviceObject device;
    private QueueingDriver queueing;
    private final Object alice = "alice";
    private final Object mallory = "mallory";

    /** A device that reverses its input into the output (buffer checks are the driver's job). */
    @Before
    public void createDevice() {
        queueing = new QueueingDriver("q");
        DriverObject reverser = DriverObject.builder("reverser").dispatch(MajorFunction.DEVICE_CONTROL, (d, irp) -> {
            IoStackLocation loc = irp.currentLocation();
            if (loc.ioControlCode() == TestStacks.QUEUE) {
                return queueing.queue.insert(irp);
            }
            if (loc.ioControlCode() != TestStacks.ECHO && loc.ioControlCode() != TestStacks.WRITE_ONLY) {
                irp.complete(NtStatus.INVALID_DEVICE_REQUEST);
                return NtStatus.INVALID_DEVICE_REQUEST;
            }
            if (loc.outputLength() < loc.inputLength()) {
                irp.complete(NtStatus.BUFFER_TOO_SMALL);
                return NtStatus.BUFFER_TOO_SMALL;
            }
            byte[] data = new byte[loc.inputLength()];
            loc.inputBuffer().duplicate().get(data);
            ByteBuffer out = loc.outputBuffer().duplicate();
            for (int i = data.length - 1; i >= 0; i--) {
                out.put(data[i]);
            }
            irp.complete(NtStatus.SUCCESS, data.length);
            return NtStatus.SUCCESS;
        }).build();
        device = fw.io().createPhysicalDevice(reverser, "reverser", List.of("TEST\\REV"), null);
        queueing.queue = new CancelSafeQueue(device, "held");
    }

    private static int statusOf(Promise<?> p) throws InterruptedException {
        try {
            p.getValue();
            return NtStatus.SUCCESS;
        } catch (InvocationTargetException e) {
            return ((IoStatusException) e.getCause()).status();
        }
    }

    @Test
    public void bufferedRoundTrip() throws Exception {
        FileObject file = fw.io().open(device, IoctlCode.FILE_READ_ACCESS, RequestorMode.USER, alice).getValue();
        IoResult r = fw.io().deviceIoControl(alice, file, TestStacks.ECHO,
                ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)), 8).getValue();
        assertEquals(NtStatus.SUCCESS, r.status());
        assertEquals(3, r.information());
        byte[] out = new byte[r.output().remaining()];
        r.output().get(out);
        assertArrayEquals("cba".getBytes(StandardCharsets.US_ASCII), out);
        fw.io().close(file).getValue();
        fw.assertClean();
    }

    @Test
    public void driverReportsBufferTooSmall() throws Exception {
        FileObject file = fw.io().open(device, 0, RequestorMode.USER, alice).getValue();
        IoResult r = fw.io().deviceIoControl(alice, file, TestStacks.ECHO, ByteBuffer.wrap(new byte[10]), 4).getValue();
        assertEquals(NtStatus.BUFFER_TOO_SMALL, r.status());
        fw.assertClean();
    }

    @Test
    public void unknownIoctlIsAnInvalidDeviceRequest() throws Exception {
        FileObject file = fw.io().open(device, 0, RequestorMode.USER, alice).getValue();
        int unknown = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_IRPVERBS, 0x999, IoctlCode.METHOD_BUFFERED, 0);
        assertEquals(NtStatus.INVALID_DEVICE_REQUEST, fw.io().deviceIoControl(alice, file, unknown, null, 0).getValue().status());
        fw.assertClean();
    }

    @Test
    public void handleOfAnotherClientIsInvalid() throws Exception {
        FileObject file = fw.io().open(device, 0, RequestorMode.USER, alice).getValue();
        assertEquals(NtStatus.INVALID_HANDLE, statusOf(fw.io().deviceIoControl(mallory, file, TestStacks.ECHO, null, 0)));
        fw.assertClean();
    }

    @Test
    public void closedHandleIsInvalid() throws Exception {
        FileObject file = fw.io().open(device, 0, RequestorMode.USER, alice).getValue();
        fw.io().close(file).getValue();
        assertEquals(NtStatus.INVALID_HANDLE, statusOf(fw.io().deviceIoControl(alice, file, TestStacks.ECHO, null, 0)));
        assertEquals(NtStatus.INVALID_HANDLE, statusOf(fw.io().close(file)));
        assertEquals(NtStatus.INVALID_HANDLE, statusOf(fw.io().deviceIoControl(alice, null, TestStacks.ECHO, null, 0)));
        fw.assertClean();
    }

    @Test
    public void ioctlNeedingWriteAccessIsDeniedOnAReadHandle() throws Exception {
        FileObject file = fw.io().open(device, IoctlCode.FILE_READ_ACCESS, RequestorMode.USER, alice).getValue();
        assertEquals(NtStatus.ACCESS_DENIED, statusOf(fw.io().deviceIoControl(alice, file, TestStacks.WRITE_ONLY, null, 0)));
        FileObject writer = fw.io().open(device, IoctlCode.FILE_WRITE_ACCESS, RequestorMode.USER, alice).getValue();
        assertEquals(NtStatus.SUCCESS, fw.io().deviceIoControl(alice, writer, TestStacks.WRITE_ONLY, null, 0).getValue().status());
        fw.assertClean();
    }

    @Test
    public void badLengthsMethodAndAccessAreInvalidParameters() throws Exception {
        FileObject file = fw.io().open(device, 0, RequestorMode.USER, alice).getValue();
        assertEquals(NtStatus.INVALID_PARAMETER, statusOf(fw.io().deviceIoControl(alice, file, TestStacks.ECHO, null, -1)));
        assertEquals(NtStatus.INVALID_PARAMETER,
                statusOf(fw.io().deviceIoControl(alice, file, TestStacks.ECHO, null, IoManagerImpl.MAX_USER_BUFFER + 1)));
        int neither = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_IRPVERBS, 0x801, IoctlCode.METHOD_NEITHER, 0);
        assertEquals(NtStatus.INVALID_PARAMETER, statusOf(fw.io().deviceIoControl(alice, file, neither, null, 0)));
        assertEquals(NtStatus.INVALID_PARAMETER, statusOf(fw.io().open(device, 4, RequestorMode.USER, alice)));
        fw.assertClean();
    }

    @Test
    public void driverReturningMoreBytesThanTheBufferIsCaught() throws Exception {
        DriverObject liar = DriverObject.builder("liar").dispatch(MajorFunction.DEVICE_CONTROL, (d, irp) -> {
            irp.complete(NtStatus.SUCCESS, 1000);
            return NtStatus.SUCCESS;
        }).build();
        DeviceObject lying = fw.io().createPhysicalDevice(liar, "liar", List.of("TEST\\LIAR"), null);
        FileObject file = fw.io().open(lying, 0, RequestorMode.USER, alice).getValue();
        assertEquals(NtStatus.INTERNAL_ERROR, fw.io().deviceIoControl(alice, file, TestStacks.ECHO, null, 4).getValue().status());
        fw.expectBugs(1);
        fw.assertClean();
    }

    /**
     * Regression: a driver that completed with negative information made the output slice throw
     * {@code IllegalArgumentException: newLimit < 0} out of the promise instead of giving a status.
     */
    @Test
    public void negativeInformationIsAnInternalErrorNotAnException() throws Exception {
        DispatchRoutine negative = (d, irp) -> {
            irp.complete(NtStatus.SUCCESS, -1);
            return NtStatus.SUCCESS;
        };
        DriverObject liar = DriverObject.builder("negative").dispatch(MajorFunction.DEVICE_CONTROL, negative)
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, negative).build();
        DeviceObject lying = fw.io().createPhysicalDevice(liar, "negative", List.of("TEST\\NEG"), null);
        FileObject file = fw.io().open(lying, 0, RequestorMode.USER, alice).getValue();
        IoResult user = fw.io().deviceIoControl(alice, file, TestStacks.ECHO, null, 4).getValue();
        assertEquals(NtStatus.INTERNAL_ERROR, user.status());
        assertEquals(0, user.information());
        IoResult kernel = fw.io().internalDeviceControl(lying, TestStacks.ECHO, null, null, ByteBuffer.allocate(4)).getValue();
        assertEquals(NtStatus.INTERNAL_ERROR, kernel.status());
        fw.expectBugs(2);
        assertTrue(DriverVerifier.recentBugs().toString(), DriverVerifier.recentBugs().get(0).contains("-1"));
        fw.assertClean();
    }

    /**
     * Regression: the "handle open" check of device control raced close(): a request that passed
     * it and reached the queue after CLEANUP's flush stayed queued after CLEANUP and CLOSE, and
     * its promise never settled. The driver here closes the handle between the check and its
     * insert, the interleaving the race produces.
     */
    @Test
    public void requestQueuedAfterItsHandlesCleanupIsCancelledNotKept() throws Exception {
        AtomicReference<FileObject> handle = new AtomicReference<>();
        DriverObject closer = DriverObject.builder("closer").dispatch(MajorFunction.DEVICE_CONTROL, (d, irp) -> {
            try {
                fw.io().close(handle.get()).getValue(); // at PASSIVE: the caller's thread
            } catch (InterruptedException | java.lang.reflect.InvocationTargetException e) {
                throw new AssertionError(e);
            }
            return queueing.queue.insert(irp);
        }).build();
        DeviceObject closing = fw.io().createPhysicalDevice(closer, "closer", List.of("TEST\\CLOSER"), null);
        queueing.queue = new CancelSafeQueue(closing, "held");
        handle.set(fw.io().open(closing, 0, RequestorMode.USER, alice).getValue());
        assertFalse(handle.get().isCleanupComplete());
        Promise<IoResult> late = fw.io().deviceIoControl(alice, handle.get(), TestStacks.QUEUE, null, 0);
        assertTrue(handle.get().isCleanupComplete());
        assertEquals(0, queueing.queue.size());
        assertEquals(NtStatus.CANCELLED, late.getValue().status());
        fw.assertClean();
    }

    @Test
    public void cleanupCancelsOnlyTheClosingHandlesRequests() throws Exception {
        FileObject a = fw.io().open(device, 0, RequestorMode.USER, alice).getValue();
        FileObject b = fw.io().open(device, 0, RequestorMode.USER, mallory).getValue();
        Promise<IoResult> fromA = fw.io().deviceIoControl(alice, a, TestStacks.QUEUE, null, 0);
        Promise<IoResult> fromB = fw.io().deviceIoControl(mallory, b, TestStacks.QUEUE, null, 0);
        assertEquals(2, queueing.queue.size());
        fw.io().close(a).getValue();
        assertEquals(NtStatus.CANCELLED, fromA.getValue().status());
        assertTrue(!fromB.isDone());
        assertEquals(1, queueing.queue.size());
        queueing.completeNext(NtStatus.SUCCESS);
        assertEquals(NtStatus.SUCCESS, fromB.getValue().status());
        fw.assertClean();
    }
}
