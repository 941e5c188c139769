package org.irpverbs.sample.echo.bus;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
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
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverRegistration;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.IoResult;
import org.irpverbs.irp.IoctlCode;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpState;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.util.promise.Promise;

/**
 * The bus driver on its own, in a standalone I/O manager (no OSGi): no function driver matches the
 * child, so requests go straight to the raw child PDO.
 */
public class SampleEchoBusDriverTest {
    private static final long DELAY = TimeUnit.MILLISECONDS.toNanos(50);

    private IoManager io;
    private SampleEchoBusDriver bus;
    private final List<SampleEchoBusDriver> added = new ArrayList<>();

    @Before
    public void setUp() throws Exception {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
        DriverVerifier.reset();
        io = IoManagers.create("echo-bus-test", 2, null);
        bus = addBus();
    }

    @After
    public void tearDown() throws Exception {
        for (SampleEchoBusDriver d : added) {
            IoManagers.removeDriver(io, d).getValue();
        }
        IoManagers.shutdown(io);
    }

    private SampleEchoBusDriver addBus() throws Exception {
        SampleEchoBusDriver d = new SampleEchoBusDriver();
        added.add(d);
        IoManagers.addDriver(io, d, DriverRegistration.rootDriver());
        io.pnpIdle().getValue();
        return d;
    }

    private void assertClean() {
        assertEquals("blocking at DISPATCH: " + BlockingDetector.recentViolations(), 0, BlockingDetector.violationCount());
        assertEquals("driver bugs: " + DriverVerifier.recentBugs(), 0, DriverVerifier.bugCount());
    }

    private DeviceObject busFdo(SampleEchoBusDriver driver) {
        return io.devices().stream()
                .filter(d -> d.driver() == driver.driverObject() && d.extension() instanceof EchoBusExtension)
                .findFirst().orElseThrow();
    }

    private DeviceObject child() {
        return busFdo(bus).extension(EchoBusExtension.class).child();
    }

    /** A request sent with its own listener, to count completions (exactly once) directly. */
    private static final class Sent {
        final Irp irp;
        final AtomicInteger completions = new AtomicInteger();
        final CompletableFuture<Irp> done = new CompletableFuture<>();
        final long sentAt = System.nanoTime();
        volatile long completedAt;

        Sent(Irp irp) {
            this.irp = irp;
        }

        Irp await() throws Exception {
            return done.get(30, TimeUnit.SECONDS);
        }
    }

    private Sent send(DeviceObject target, int code, Object argument, ByteBuffer in, ByteBuffer out) {
        Irp irp = Irp.forDevice(target);
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL).setIoControlCode(code)
                .setArgument(argument).setInputBuffer(in).setOutputBuffer(out);
        Sent sent = new Sent(irp);
        irp.setCompletionListener(done -> {
            sent.completedAt = System.nanoTime();
            sent.completions.incrementAndGet();
            sent.done.complete(done);
        });
        io.send(target, irp);
        return sent;
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private IoResult echo(Object argument, ByteBuffer in, ByteBuffer out) throws Exception {
        return io.internalDeviceControl(child(), SampleEchoBusDriver.IOCTL_ECHO, argument, in, out).getValue();
    }

    @Test
    public void rootEnumerationBuildsTheBusAndReportsOneChild() throws Exception {
        DeviceObject fdo = busFdo(bus);
        assertEquals("SampleEchoBus0", fdo.name());
        assertEquals(DeviceObject.Kind.FUNCTION, fdo.kind());
        assertEquals(PnpState.STARTED, fdo.pnpState());
        assertEquals(List.of("ROOT\\SampleEchoBus"), fdo.lowerDevice().hardwareIds());
        DeviceObject child = child();
        assertNotNull(child);
        assertEquals("SampleEcho0", child.name());
        assertEquals(DeviceObject.Kind.PHYSICAL, child.kind());
        assertEquals(List.of(SampleEchoBusDriver.CHILD_HARDWARE_ID), child.hardwareIds());
        // irp-framework 0.1.0 publishes busRelations() before it records the children of the
        // enumeration that found them, so the first enumeration shows up only with the next one
        io.invalidateDeviceRelations(fdo);
        io.pnpIdle().getValue();
        assertEquals(List.of(child), io.busRelations().get(fdo));
        assertClean();
    }

    @Test
    public void echoCopiesInputToOutputAndReportsTheLength() throws Exception {
        ByteBuffer in = bytes("hello, verbs");
        ByteBuffer out = ByteBuffer.allocate(32);
        IoResult r = echo(null, in, out);
        assertEquals(NtStatus.SUCCESS, r.status());
        assertEquals(12, r.information());
        assertEquals("hello, verbs", StandardCharsets.UTF_8.decode(r.output()).toString());
        assertEquals("caller's input position untouched", 0, in.position());
        assertEquals("caller's output position untouched", 0, out.position());
        EchoChildExtension ext = child().extension(EchoChildExtension.class);
        assertEquals(1, ext.echoesServed());
        assertEquals(12, ext.bytesEchoed());
        assertClean();
    }

    @Test
    public void badRequestsFailWithTheirStatus() throws Exception {
        int other = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_IRPVERBS, 0x8FF, IoctlCode.METHOD_BUFFERED,
                IoctlCode.FILE_ANY_ACCESS);
        assertEquals(NtStatus.INVALID_DEVICE_REQUEST,
                io.internalDeviceControl(child(), other, null, bytes("x"), ByteBuffer.allocate(1)).getValue().status());
        assertEquals(NtStatus.INVALID_PARAMETER, echo(null, null, ByteBuffer.allocate(4)).status());
        assertEquals(NtStatus.INVALID_PARAMETER, echo(null, ByteBuffer.allocate(0), ByteBuffer.allocate(4)).status());
        assertEquals(NtStatus.BUFFER_TOO_SMALL, echo(null, bytes("abcd"), ByteBuffer.allocate(3)).status());
        assertEquals(NtStatus.BUFFER_TOO_SMALL, echo(null, bytes("abcd"), null).status());
        assertEquals(NtStatus.INVALID_PARAMETER,
                echo(null, bytes("abcd"), ByteBuffer.allocate(4).asReadOnlyBuffer()).status());
        assertEquals(NtStatus.INVALID_PARAMETER, echo(-1L, bytes("abcd"), ByteBuffer.allocate(4)).status());
        assertEquals(NtStatus.INVALID_PARAMETER, echo("soon", bytes("abcd"), ByteBuffer.allocate(4)).status());
        EchoChildExtension ext = child().extension(EchoChildExtension.class);
        assertEquals(8, ext.rejectedRequests());
        assertEquals(0, ext.echoesServed());
        assertClean();
    }

    @Test
    public void theBusDeviceItselfServesNoInternalRequests() throws Exception {
        IoResult r = io.internalDeviceControl(busFdo(bus), SampleEchoBusDriver.IOCTL_ECHO, null, bytes("x"),
                ByteBuffer.allocate(1)).getValue();
        assertEquals(NtStatus.INVALID_DEVICE_REQUEST, r.status());
        assertClean();
    }

    @Test
    public void delayedEchoCompletesFromTheTimerAfterTheLatency() throws Exception {
        ByteBuffer out = ByteBuffer.allocate(8);
        Sent sent = send(child(), SampleEchoBusDriver.IOCTL_ECHO, DELAY, bytes("late"), out);
        Irp done = sent.await();
        assertEquals(NtStatus.SUCCESS, done.status());
        assertEquals(4, done.information());
        assertTrue("the dispatch routine returned PENDING", done.pendingReturned());
        assertTrue("completed no earlier than the latency", sent.completedAt - sent.sentAt >= DELAY);
        assertEquals("late", new String(out.array(), 0, 4, StandardCharsets.UTF_8));
        assertEquals(1, sent.completions.get());
        EchoChildExtension ext = child().extension(EchoChildExtension.class);
        assertEquals(1, ext.delayedRequests());
        assertEquals(0, ext.waiting());
        assertClean();
    }

    /** Latency timers the test fires itself, as DPCs of the manager, when it chooses. */
    private static final class HeldTimers implements EchoChildExtension.LatencyTimers {
        final List<Runnable> armed = new CopyOnWriteArrayList<>();

        @Override
        public void arm(long delayNanos, Runnable timer) {
            armed.add(timer);
        }
    }

    /**
     * Was a race with the scheduler: the request's 50 ms timer was live, so a test thread
     * descheduled for longer than that between send and cancel (a loaded two-core machine) found
     * the echo completed and no cancel routine to call. The timer is held now, so the cancel comes
     * first by construction and the late timer is fired afterwards.
     */
    @Test
    public void cancellingADelayedEchoBeforeItsTimerFiresCompletesItCancelledAndTheLateTimerFindsNothing()
            throws Exception {
        EchoChildExtension ext = child().extension(EchoChildExtension.class);
        HeldTimers timers = new HeldTimers();
        ext.armLatencyTimersWith(timers);
        ByteBuffer out = ByteBuffer.allocate(8);
        Sent sent = send(child(), SampleEchoBusDriver.IOCTL_ECHO, DELAY, bytes("gone"), out);
        assertEquals("one latency timer armed", 1, timers.armed.size());
        assertTrue("a cancel routine was armed", sent.irp.cancel());
        Irp done = sent.await();
        assertEquals(NtStatus.CANCELLED, done.status());
        assertEquals(0, done.information());
        io.queueDpc(timers.armed.get(0));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (ext.timersWithoutRequest() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5); // the test thread is at PASSIVE
        }
        assertEquals("the timer fired and found its request gone", 1, ext.timersWithoutRequest());
        assertEquals(1, sent.completions.get());
        assertEquals(0, ext.echoesServed());
        assertEquals("output untouched", 0, out.get(0));
        assertEquals(1, child().statistics().cancelled());
        assertClean();
    }

    @Test
    public void aHeldLatencyTimerCompletesItsEchoWhenItFires() throws Exception {
        EchoChildExtension ext = child().extension(EchoChildExtension.class);
        HeldTimers timers = new HeldTimers();
        ext.armLatencyTimersWith(timers);
        ByteBuffer out = ByteBuffer.allocate(8);
        Sent sent = send(child(), SampleEchoBusDriver.IOCTL_ECHO, DELAY, bytes("held"), out);
        assertFalse("nothing completes it before its timer", sent.done.isDone());
        assertEquals(1, ext.waiting());
        io.queueDpc(timers.armed.get(0));
        assertEquals(NtStatus.SUCCESS, sent.await().status());
        assertEquals("held", new String(out.array(), 0, 4, StandardCharsets.UTF_8));
        assertEquals(0, ext.timersWithoutRequest());
        assertClean();
    }

    @Test
    public void aTimedOutDelayedEchoCompletesWithIoTimeout() throws Exception {
        Irp irp = Irp.forDevice(child()).setTimeoutNanos(TimeUnit.MILLISECONDS.toNanos(10));
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL)
                .setIoControlCode(SampleEchoBusDriver.IOCTL_ECHO).setArgument(TimeUnit.SECONDS.toNanos(30))
                .setInputBuffer(bytes("slow")).setOutputBuffer(ByteBuffer.allocate(4));
        Irp done = io.submit(child(), irp).getValue();
        assertEquals(NtStatus.IO_TIMEOUT, done.status());
        assertEquals(1, child().statistics().timedOut());
        assertEquals(0, child().extension(EchoChildExtension.class).waiting());
        assertClean();
    }

    @Test
    public void removingTheBusDriverFailsRequestsWaitingOnTheRawChildOnceBeforeRemovalEnds() throws Exception {
        DeviceObject child = child();
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sent.add(send(child, SampleEchoBusDriver.IOCTL_ECHO, TimeUnit.SECONDS.toNanos(30), bytes("req" + i),
                    ByteBuffer.allocate(8)));
        }
        AtomicLong completedWhenRemoved = new AtomicLong(-1);
        added.remove(bus);
        // thenAccept: the chained promise resolves only after the snapshot was taken
        Promise<Void> removal = IoManagers.removeDriver(io, bus).thenAccept(v -> completedWhenRemoved
                .set(sent.stream().filter(s -> s.done.isDone()).count()));
        removal.getValue();
        assertEquals("every request completed before the removal finished", 20, completedWhenRemoved.get());
        for (Sent s : sent) {
            // nothing above the raw PDO held them, so REMOVE flushed its queue
            assertEquals(NtStatus.DELETE_PENDING, s.await().status());
            assertEquals(1, s.completions.get());
        }
        assertEquals(PnpState.DELETED, child.pnpState());
        assertTrue("all of the bus's devices are gone", io.devices().isEmpty());
        assertTrue(io.busRelations().isEmpty());
        assertClean();
    }

    @Test
    public void twoBusInstancesGetDistinctDeviceNames() throws Exception {
        SampleEchoBusDriver second = addBus();
        List<String> busNames = io.devices().stream().filter(d -> d.extension() instanceof EchoBusExtension)
                .map(DeviceObject::name).sorted().toList();
        List<String> childNames = io.devices().stream().filter(d -> d.extension() instanceof EchoChildExtension)
                .map(DeviceObject::name).sorted().toList();
        assertEquals(List.of("SampleEchoBus0", "SampleEchoBus1"), busNames);
        assertEquals(List.of("SampleEcho0", "SampleEcho1"), childNames);
        for (String name : childNames) {
            IoResult r = io.internalDeviceControl(io.device(name), SampleEchoBusDriver.IOCTL_ECHO, null, bytes("twin"),
                    ByteBuffer.allocate(4)).getValue();
            assertEquals(NtStatus.SUCCESS, r.status());
        }
        assertNotNull(second.driverObject());
        assertClean();
    }

    @Test
    public void aSurpriseRemovedBusEnumeratesAFreshChildWhenRestarted() throws Exception {
        DeviceObject fdo = busFdo(bus);
        DeviceObject rootPdo = fdo.lowerDevice();
        DeviceObject oldChild = child();
        Sent waiting = send(oldChild, SampleEchoBusDriver.IOCTL_ECHO, TimeUnit.SECONDS.toNanos(30), bytes("x"),
                ByteBuffer.allocate(1));
        io.surpriseRemove(fdo).getValue();
        assertEquals(NtStatus.DEVICE_REMOVED, waiting.await().status());
        assertEquals(PnpState.DELETED, oldChild.pnpState());
        assertNull("the bus device went with its stack", io.device(fdo.name()));
        io.restartDevice(rootPdo).getValue();
        io.pnpIdle().getValue();
        DeviceObject newChild = child();
        assertNotSame(oldChild, newChild);
        assertEquals(NtStatus.SUCCESS, io.internalDeviceControl(newChild, SampleEchoBusDriver.IOCTL_ECHO, null,
                bytes("again"), ByteBuffer.allocate(5)).getValue().status());
        assertClean();
    }

    private static void assertNotSame(Object a, Object b) {
        assertFalse("expected different objects", a == b);
        assertNotEquals(a, b);
    }

    @Test
    public void driverObjectIsTheSameForTheDriversLifetime() {
        assertSame(bus.driverObject(), bus.driverObject());
        assertEquals(SampleEchoBusDriver.DRIVER_NAME, bus.driverObject().name());
    }
}
