package org.irpverbs.sample.echo.driver;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceInterfaceListener;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverRegistration;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.FileObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.IoResult;
import org.irpverbs.irp.IoctlCode;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpState;
import org.irpverbs.irp.RequestorMode;
import org.irpverbs.sample.echo.bus.EchoChildExtension;
import org.irpverbs.sample.echo.bus.SampleEchoBusDriver;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.util.promise.Promise;

/**
 * The whole sample stack (bus driver below, function driver above) in a standalone I/O manager,
 * without OSGi: both request paths, latency, cancellation, validation, and removal of either
 * driver while requests wait on the simulated hardware.
 */
public class SampleEchoStackTest {
    private static final long DELAY = TimeUnit.MILLISECONDS.toNanos(50);
    private static final int UNKNOWN_IOCTL = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_IRPVERBS, 0x8FF,
            IoctlCode.METHOD_BUFFERED, IoctlCode.FILE_ANY_ACCESS);

    private IoManager io;
    private SampleEchoBusDriver bus;
    private SampleEchoFunctionDriver function;
    private final List<String> interfaceEvents = new CopyOnWriteArrayList<>();

    @Before
    public void setUp() throws Exception {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
        DriverVerifier.reset();
        io = IoManagers.create("echo-stack-test", 2, new DeviceInterfaceListener() {
            @Override
            public void interfaceEnabled(DeviceObject device, String interfaceName) {
                interfaceEvents.add("enabled " + device.name() + " " + interfaceName);
            }

            @Override
            public void interfaceDisabled(DeviceObject device, String interfaceName) {
                interfaceEvents.add("disabled " + device.name() + " " + interfaceName);
            }
        });
        function = new SampleEchoFunctionDriver();
        IoManagers.addDriver(io, function, DriverRegistration.function(0, SampleEchoFunctionDriver.HARDWARE_ID));
        bus = new SampleEchoBusDriver();
        IoManagers.addDriver(io, bus, DriverRegistration.rootDriver());
        io.pnpIdle().getValue();
    }

    @After
    public void tearDown() throws Exception {
        if (bus != null) {
            IoManagers.removeDriver(io, bus).getValue();
        }
        if (function != null) {
            IoManagers.removeDriver(io, function).getValue();
        }
        IoManagers.shutdown(io);
    }

    private void assertClean() {
        assertEquals("blocking at DISPATCH: " + BlockingDetector.recentViolations(), 0, BlockingDetector.violationCount());
        assertEquals("driver bugs: " + DriverVerifier.recentBugs(), 0, DriverVerifier.bugCount());
    }

    private DeviceObject fdo() {
        DeviceObject d = io.device("SampleEchoFunction0");
        assertEquals(DeviceObject.Kind.FUNCTION, d.kind());
        return d;
    }

    private EchoFunctionExtension fdoExtension() {
        return fdo().extension(EchoFunctionExtension.class);
    }

    private EchoChildExtension pdoExtension() {
        return io.device("SampleEcho0").extension(EchoChildExtension.class);
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(ByteBuffer b) {
        return StandardCharsets.UTF_8.decode(b.duplicate()).toString();
    }

    private IoResult internal(int code, Object argument, ByteBuffer in, ByteBuffer out) throws Exception {
        return io.internalDeviceControl(fdo(), code, argument, in, out).getValue();
    }

    /** A request sent with its own listener, so completions are counted directly (exactly once). */
    private static final class Sent {
        final Irp irp;
        final ByteBuffer out;
        final AtomicInteger completions = new AtomicInteger();
        final CompletableFuture<Irp> done = new CompletableFuture<>();
        final long sentAt = System.nanoTime();
        volatile long completedAt;

        Sent(Irp irp, ByteBuffer out) {
            this.irp = irp;
            this.out = out;
        }

        Irp await() throws Exception {
            return done.get(30, TimeUnit.SECONDS);
        }
    }

    private Sent sendDelayed(DeviceObject target, long delayNanos, String data) {
        Irp irp = Irp.forDevice(target);
        ByteBuffer out = ByteBuffer.allocate(data.length());
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL)
                .setIoControlCode(SampleEchoFunctionDriver.IOCTL_ECHO).setArgument(delayNanos)
                .setInputBuffer(bytes(data)).setOutputBuffer(out);
        Sent sent = new Sent(irp, out);
        irp.setCompletionListener(done -> {
            sent.completedAt = System.nanoTime();
            sent.completions.incrementAndGet();
            sent.done.complete(done);
        });
        io.send(target, irp);
        return sent;
    }

    @Test
    public void theFunctionDeviceSitsOnTheBusChildAndOffersTheEchoInterface() throws Exception {
        DeviceObject pdo = io.device("SampleEcho0");
        assertEquals(fdo(), pdo.attachedTop());
        assertEquals(pdo, fdo().lowerDevice());
        assertEquals(PnpState.STARTED, fdo().pnpState());
        assertEquals(PnpState.STARTED, pdo.pnpState());
        assertTrue(fdo().interfaces().contains(SampleEchoFunctionDriver.INTERFACE));
        awaitInterfaceEvent("enabled SampleEchoFunction0 irpverbs.sample.echo");
        assertClean();
    }

    private void awaitInterfaceEvent(String event) throws InterruptedException {
        // the listener runs on the manager's system worker, after pnpIdle may already have resolved
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!interfaceEvents.contains(event) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(interfaceEvents + " contains " + event, interfaceEvents.contains(event));
    }

    @Test
    public void internalEchoRoundTripsThroughBothLayers() throws Exception {
        IoResult r = internal(SampleEchoFunctionDriver.IOCTL_ECHO, null, bytes("through two layers"),
                ByteBuffer.allocate(64));
        assertEquals(NtStatus.SUCCESS, r.status());
        assertEquals(18, r.information());
        assertEquals("through two layers", text(r.output()));
        assertEquals(1, fdoExtension().forwardedRequests());
        assertEquals(1, fdoExtension().completions(NtStatus.SUCCESS));
        assertEquals(1, pdoExtension().echoesServed());
        assertEquals(1, fdo().statistics().completed());
        assertEquals(1, io.device("SampleEcho0").statistics().completed());
        assertClean();
    }

    @Test
    public void deviceIoControlRoundTripsThroughBothLayersOnAnOpenHandle() throws Exception {
        Object client = new Object();
        FileObject file = io.open(fdo(), IoctlCode.FILE_READ_ACCESS | IoctlCode.FILE_WRITE_ACCESS, RequestorMode.USER,
                client).getValue();
        assertEquals(1, fdoExtension().openHandles());
        ByteBuffer in = bytes("user mode");
        IoResult r = io.deviceIoControl(client, file, SampleEchoFunctionDriver.IOCTL_ECHO, in, 16).getValue();
        assertEquals(NtStatus.SUCCESS, r.status());
        assertEquals(9, r.information());
        assertEquals("user mode", text(r.output()));
        assertEquals("the caller's buffer is not consumed", 0, in.position());
        io.close(file).getValue();
        assertEquals(0, fdoExtension().openHandles());
        assertEquals(1, pdoExtension().echoesServed());
        assertClean();
    }

    @Test
    public void badInternalRequestsFailAtTheFunctionDeviceWithTheirStatus() throws Exception {
        assertEquals(NtStatus.INVALID_DEVICE_REQUEST, internal(UNKNOWN_IOCTL, null, bytes("x"), ByteBuffer.allocate(1)).status());
        assertEquals(NtStatus.INVALID_PARAMETER, internal(SampleEchoFunctionDriver.IOCTL_ECHO, null, null, ByteBuffer.allocate(1)).status());
        assertEquals(NtStatus.INVALID_PARAMETER,
                internal(SampleEchoFunctionDriver.IOCTL_ECHO, null, ByteBuffer.allocate(0), ByteBuffer.allocate(1)).status());
        assertEquals(NtStatus.INVALID_PARAMETER, internal(SampleEchoFunctionDriver.IOCTL_ECHO, null,
                ByteBuffer.allocate(SampleEchoFunctionDriver.MAX_INPUT + 1),
                ByteBuffer.allocate(SampleEchoFunctionDriver.MAX_INPUT + 1)).status());
        assertEquals(NtStatus.BUFFER_TOO_SMALL,
                internal(SampleEchoFunctionDriver.IOCTL_ECHO, null, bytes("four"), ByteBuffer.allocate(3)).status());
        assertEquals(5, fdoExtension().rejectedRequests());
        assertEquals("nothing reached the hardware", 0, fdoExtension().forwardedRequests());
        // the largest valid input still goes through
        IoResult max = internal(SampleEchoFunctionDriver.IOCTL_ECHO, null, ByteBuffer.allocate(SampleEchoFunctionDriver.MAX_INPUT),
                ByteBuffer.allocate(SampleEchoFunctionDriver.MAX_INPUT));
        assertEquals(NtStatus.SUCCESS, max.status());
        assertEquals(SampleEchoFunctionDriver.MAX_INPUT, max.information());
        assertClean();
    }

    @Test
    public void badDeviceIoControlRequestsFailWithTheirStatus() throws Exception {
        Object client = new Object();
        FileObject file = io.open(fdo(), IoctlCode.FILE_READ_ACCESS, RequestorMode.USER, client).getValue();
        assertEquals(NtStatus.INVALID_DEVICE_REQUEST,
                io.deviceIoControl(client, file, UNKNOWN_IOCTL, bytes("x"), 1).getValue().status());
        assertEquals(NtStatus.INVALID_PARAMETER,
                io.deviceIoControl(client, file, SampleEchoFunctionDriver.IOCTL_ECHO, null, 8).getValue().status());
        assertEquals(NtStatus.INVALID_PARAMETER, io.deviceIoControl(client, file, SampleEchoFunctionDriver.IOCTL_ECHO,
                ByteBuffer.allocate(SampleEchoFunctionDriver.MAX_INPUT + 1), SampleEchoFunctionDriver.MAX_INPUT + 1)
                .getValue().status());
        IoResult small = io.deviceIoControl(client, file, SampleEchoFunctionDriver.IOCTL_ECHO, bytes("four"), 3).getValue();
        assertEquals(NtStatus.BUFFER_TOO_SMALL, small.status());
        assertNull(small.output());
        assertEquals(4, fdoExtension().rejectedRequests());
        io.close(file).getValue();
        assertClean();
    }

    @Test
    public void delayedEchoCompletesAfterTheSimulatedLatency() throws Exception {
        Sent sent = sendDelayed(fdo(), DELAY, "later");
        Irp done = sent.await();
        assertEquals(NtStatus.SUCCESS, done.status());
        assertEquals(5, done.information());
        assertTrue(done.pendingReturned());
        assertTrue(sent.completedAt - sent.sentAt >= DELAY);
        assertEquals(1, sent.completions.get());
        assertEquals(1, fdoExtension().completions(NtStatus.SUCCESS));
        assertEquals(1, pdoExtension().delayedRequests());
        assertClean();
    }

    @Test
    public void internalDeviceControlCarriesTheLatencyArgumentDown() throws Exception {
        long start = System.nanoTime();
        IoResult r = internal(SampleEchoFunctionDriver.IOCTL_ECHO, DELAY, bytes("arg"), ByteBuffer.allocate(3));
        assertEquals(NtStatus.SUCCESS, r.status());
        assertTrue(System.nanoTime() - start >= DELAY);
        assertEquals(1, pdoExtension().delayedRequests());
        assertClean();
    }

    @Test
    public void cancellingADelayedEchoCompletesItOnceAsCancelled() throws Exception {
        Sent sent = sendDelayed(fdo(), TimeUnit.SECONDS.toNanos(30), "never");
        assertTrue("the request waits in the PDO's cancel-safe queue", sent.irp.cancel());
        Irp done = sent.await();
        assertEquals(NtStatus.CANCELLED, done.status());
        assertEquals(1, sent.completions.get());
        assertEquals("the function device's completion routine saw the cancel", 1,
                fdoExtension().completions(NtStatus.CANCELLED));
        assertEquals(0, pdoExtension().echoesServed());
        assertEquals(0, pdoExtension().waiting());
        assertEquals(1, fdo().statistics().cancelled());
        assertClean();
    }

    @Test
    public void removingTheBusDriverWaitsForDelayedRequestsWhichAllCompleteOnce() throws Exception {
        DeviceObject fdo = fdo();
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            sent.add(sendDelayed(fdo, DELAY, "request " + i));
        }
        // What removal must wait for is the drivers: every request has passed the function
        // device's completion routine (and so released both devices' remove locks) before the
        // removal finishes. The originator's listener runs after that on the completing thread,
        // so it may still be running when the removal promise resolves.
        EchoFunctionExtension counters = fdoExtension();
        AtomicLong completedWhenRemoved = new AtomicLong(-1);
        SampleEchoBusDriver leaving = bus;
        bus = null;
        Promise<Void> removal = IoManagers.removeDriver(io, leaving)
                .thenAccept(v -> completedWhenRemoved.set(counters.completions(NtStatus.SUCCESS)));
        removal.getValue();
        assertEquals("removal finished only after every request completed", 25, completedWhenRemoved.get());
        for (int i = 0; i < sent.size(); i++) {
            Sent s = sent.get(i);
            Irp done = s.await();
            // the function device held them, so REMOVE waited and the hardware finished them
            assertEquals(NtStatus.SUCCESS, done.status());
            assertEquals(1, s.completions.get());
            assertTrue(s.completedAt - s.sentAt >= DELAY);
        }
        assertEquals(PnpState.DELETED, fdo.pnpState());
        assertTrue("every device of the stack is gone: " + io.devices(), io.devices().isEmpty());
        awaitInterfaceEvent("disabled SampleEchoFunction0 irpverbs.sample.echo");
        assertClean();
    }

    @Test
    public void removingTheFunctionDriverDrainsItsRequestsAndARegisteredDriverTakesTheChildAgain() throws Exception {
        DeviceObject oldFdo = fdo();
        DeviceObject pdo = io.device("SampleEcho0");
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sent.add(sendDelayed(oldFdo, DELAY, "fn " + i));
        }
        EchoFunctionExtension counters = fdoExtension();
        AtomicLong completedWhenRemoved = new AtomicLong(-1);
        SampleEchoFunctionDriver leaving = function;
        function = null;
        IoManagers.removeDriver(io, leaving)
                .thenAccept(v -> completedWhenRemoved.set(counters.completions(NtStatus.SUCCESS))).getValue();
        assertEquals("completed before the removal finished", 10, completedWhenRemoved.get());
        for (Sent s : sent) {
            assertEquals(NtStatus.SUCCESS, s.await().status());
            assertEquals(1, s.completions.get());
        }
        assertEquals(PnpState.DELETED, oldFdo.pnpState());
        assertEquals("the hardware stays, unstarted", PnpState.NOT_STARTED, pdo.pnpState());
        assertEquals(pdo, pdo.attachedTop());

        function = new SampleEchoFunctionDriver();
        IoManagers.addDriver(io, function, DriverRegistration.function(0, SampleEchoFunctionDriver.HARDWARE_ID));
        io.pnpIdle().getValue();
        DeviceObject newFdo = pdo.attachedTop();
        assertNotSame(oldFdo, newFdo);
        assertEquals(function.driverObject(), newFdo.driver());
        IoResult r = io.internalDeviceControl(newFdo, SampleEchoFunctionDriver.IOCTL_ECHO, null, bytes("again"),
                ByteBuffer.allocate(5)).getValue();
        assertEquals(NtStatus.SUCCESS, r.status());
        assertClean();
    }

    @Test
    public void manyConcurrentEchoesEachCompleteOnceWithTheirOwnData() throws Exception {
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sent.add(sendDelayed(fdo(), i % 2 == 0 ? 0 : TimeUnit.MILLISECONDS.toNanos(1 + i % 7), "payload-" + i));
        }
        for (int i = 0; i < sent.size(); i++) {
            Sent s = sent.get(i);
            Irp done = s.await();
            assertEquals(NtStatus.SUCCESS, done.status());
            assertEquals("payload-" + i, text(s.out));
            assertEquals(1, s.completions.get());
        }
        assertEquals(200, fdoExtension().completions(NtStatus.SUCCESS));
        assertClean();
    }
}
