package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Rule;
import org.junit.Test;

/** The PnP manager and the default PnP dispatch: matching, ordering, removal, takeover. */
public class PnpTest {
    @Rule
    public final FrameworkRule fw = new FrameworkRule();

    /** Lock-free: handlers and listeners record from DISPATCH, where a contended monitor is a violation. */
    private final EventLog events = new EventLog();

    static final class EventLog {
        private final java.util.concurrent.ConcurrentLinkedQueue<String> log = new java.util.concurrent.ConcurrentLinkedQueue<>();

        void add(String event) {
            log.add(event);
        }

        List<String> list() {
            return new ArrayList<>(log);
        }

        int indexOf(String event) {
            return list().indexOf(event);
        }

        boolean contains(String event) {
            return log.contains(event);
        }

        java.util.stream.Stream<String> stream() {
            return log.stream();
        }

        @Override
        public String toString() {
            return log.toString();
        }
    }

    /** A root bus with one child per name in {@link #children}. */
    final class Bus implements Driver {
        final List<String> childNames = new CopyOnWriteArrayList<>();
        final java.util.Queue<DeviceObject> children = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final String hardwareId;
        DeviceObject fdo;
        final DriverObject object;

        Bus(String name, String hardwareId, String... names) {
            this.hardwareId = hardwareId;
            childNames.addAll(List.of(names));
            object = DriverObject.builder(name).pnp(new Recorder(name) {
                @Override
                public List<DeviceObject> queryBusRelations(DeviceObject device) {
                    if (device != fdo) {
                        return null;
                    }
                    List<DeviceObject> now = new ArrayList<>();
                    for (String child : childNames) {
                        DeviceObject existing = children.stream().filter(c -> c.name().equals(child)).findFirst().orElse(null);
                        if (existing == null || existing.pnpState() == PnpState.DELETED) {
                            existing = device.ioManager().createPhysicalDevice(object, child, List.of(hardwareId), null);
                            children.add(existing);
                        }
                        now.add(existing);
                    }
                    return now;
                }
            }).dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, this::serve).build();
        }

        /** Child PDOs hold requests until a timer completes them: "hardware" latency. */
        int serve(DeviceObject device, Irp irp) {
            irp.markPending();
            Object delay = irp.currentLocation().argument();
            device.ioManager().schedule(delay instanceof Long l ? l : 0L, () -> irp.complete(NtStatus.SUCCESS, 1));
            return NtStatus.PENDING;
        }

        @Override
        public DriverObject driverObject() {
            return object;
        }

        @Override
        public DeviceObject addDevice(IoManager io, DeviceObject pdo) {
            fdo = io.createDevice(object, object.name() + "-fdo", DeviceObject.Kind.FUNCTION, null);
            io.attach(fdo, pdo);
            return fdo;
        }
    }

    /** A function (or filter) driver that passes everything down. */
    final class Function implements Driver {
        final DriverObject object;
        final java.util.Queue<DeviceObject> devices = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final DeviceObject.Kind kind;
        volatile int vetoStatus = NtStatus.SUCCESS;

        Function(String name, DeviceObject.Kind kind) {
            this.kind = kind;
            object = DriverObject.builder(name).pnp(new Recorder(name) {
                @Override
                public int queryRemove(DeviceObject device) {
                    super.queryRemove(device);
                    return vetoStatus;
                }

                @Override
                public Object queryInterface(DeviceObject device, Class<?> type) {
                    return type == CharSequence.class ? "speed path of " + device.name() : null;
                }
            }).dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
                irp.skipCurrentLocation();
                return d.lowerDevice().callDriver(irp);
            }).build();
        }

        @Override
        public DriverObject driverObject() {
            return object;
        }

        @Override
        public DeviceObject addDevice(IoManager io, DeviceObject pdo) {
            DeviceObject d = io.createDevice(object, object.name() + "-on-" + pdo.name() + "-" + devices.size(), kind, null);
            io.attach(d, pdo);
            d.registerInterface("test." + object.name());
            devices.add(d);
            return d;
        }
    }

    class Recorder implements PnpHandler {
        final String name;

        Recorder(String name) {
            this.name = name;
        }

        @Override
        public CompletionStage<Integer> start(DeviceObject device) {
            events.add("start " + device.name());
            return PnpHandler.SUCCESS;
        }

        @Override
        public int queryRemove(DeviceObject device) {
            events.add("queryRemove " + device.name());
            return NtStatus.SUCCESS;
        }

        @Override
        public void cancelRemove(DeviceObject device) {
            events.add("cancelRemove " + device.name());
        }

        @Override
        public void surpriseRemoval(DeviceObject device) {
            events.add("surprise " + device.name());
        }

        @Override
        public CompletionStage<Integer> remove(DeviceObject device) {
            events.add("remove " + device.name());
            return PnpHandler.SUCCESS;
        }
    }

    private void idle() throws Exception {
        fw.io().pnpIdle().getValue();
    }

    @Test
    public void stackIsBuiltAndStartedBottomUp() throws Exception {
        Bus bus = new Bus("Bus", "TEST\\CHILD", "child0");
        Function lowerFilter = new Function("LowerFilter", DeviceObject.Kind.FILTER);
        Function function = new Function("Fn", DeviceObject.Kind.FUNCTION);
        Function upperFilter = new Function("UpperFilter", DeviceObject.Kind.FILTER);
        IoManagers.addDriver(fw.io(), function, DriverRegistration.function(0, "TEST\\CHILD"));
        IoManagers.addDriver(fw.io(), upperFilter,
                new DriverRegistration(List.of("TEST\\CHILD"), DriverRegistration.Role.UPPER_FILTER, 0, false));
        IoManagers.addDriver(fw.io(), lowerFilter,
                new DriverRegistration(List.of("TEST\\CHILD"), DriverRegistration.Role.LOWER_FILTER, 0, false));
        IoManagers.addDriver(fw.io(), bus, DriverRegistration.rootDriver());
        idle();
        DeviceObject child = fw.io().device("child0");
        assertNotNull(child);
        DeviceObject top = child.attachedTop();
        assertEquals(4, top.stackSize());
        assertSame(upperFilter.object, top.driver());
        assertSame(function.object, top.lowerDevice().driver());
        assertSame(lowerFilter.object, top.lowerDevice().lowerDevice().driver());
        // START: the bus stack first, then the child's stack from the bottom up
        List<String> starts = events.stream().filter(e -> e.startsWith("start")).toList();
        assertEquals(List.of("start Bus-fdo", "start child0", "start LowerFilter-on-child0-0", "start Fn-on-child0-0",
                "start UpperFilter-on-child0-0"), starts);
        assertEquals(PnpState.STARTED, top.pnpState());
        assertEquals(List.of(child), fw.io().busRelations().get(bus.fdo));
        // the interface query goes down until a device answers
        assertEquals("speed path of UpperFilter-on-child0-0", fw.io().queryInterface(child, CharSequence.class).getValue());
        try {
            fw.io().queryInterface(child, Runnable.class).getValue();
            throw new AssertionError("no device offers Runnable");
        } catch (java.lang.reflect.InvocationTargetException e) {
            assertEquals(NtStatus.NOT_SUPPORTED, ((IoStatusException) e.getCause()).status());
        }
        fw.assertClean();
    }

    @Test
    public void removingTheBusRemovesChildrenFirstAfterTheirRequestsDrain() throws Exception {
        Bus bus = new Bus("Bus", "TEST\\CHILD", "child0");
        Function function = new Function("Fn", DeviceObject.Kind.FUNCTION);
        IoManagers.addDriver(fw.io(), function, DriverRegistration.function(0, "TEST\\CHILD"));
        IoManagers.addDriver(fw.io(), bus, DriverRegistration.rootDriver());
        idle();
        DeviceObject child = fw.io().device("child0");
        AtomicInteger succeeded = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        int n = 50;
        for (int i = 0; i < n; i++) {
            Irp irp = TestStacks.internal(child, TestStacks.ECHO);
            irp.nextLocation().setArgument(TimeUnit.MILLISECONDS.toNanos(100));
            irp.setCompletionListener(r -> {
                events.add("request done " + NtStatus.name(r.status()));
                (r.status() == NtStatus.SUCCESS ? succeeded : refused).incrementAndGet();
            });
            assertEquals(NtStatus.PENDING, fw.io().send(child, irp));
        }
        IoManagers.removeDriver(fw.io(), bus).getValue();
        assertEquals("removal finished only after the PDO's requests drained", 0, child.statistics().inFlight());
        assertEquals(n, child.statistics().completed());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (succeeded.get() < n && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals("every admitted request completed with success", n, succeeded.get());
        int childRemoved = events.indexOf("remove child0");
        int fnRemoved = events.indexOf("remove Fn-on-child0-0");
        int busRemoved = events.indexOf("remove Bus-fdo");
        assertTrue("function before its PDO: " + events, fnRemoved < childRemoved);
        assertTrue("child before its bus: " + events, childRemoved < busRemoved);
        assertTrue(events.indexOf("queryRemove Fn-on-child0-0") < fnRemoved);
        assertNull(fw.io().device("child0"));
        assertNull(fw.io().device("Bus-fdo"));
        assertTrue(fw.io().devices().isEmpty());
        // a request sent to the deleted stack gets a clear status
        Irp late = TestStacks.internal(child, TestStacks.ECHO);
        assertEquals(NtStatus.DELETE_PENDING, fw.io().send(child, late));
        assertEquals(0, refused.get());
        fw.assertClean();
    }

    @Test
    public void vetoedQueryRemoveIsCancelledButALeavingDriverIsStillRemoved() throws Exception {
        Bus bus = new Bus("Bus", "TEST\\CHILD", "child0");
        Function function = new Function("Fn", DeviceObject.Kind.FUNCTION);
        function.vetoStatus = NtStatus.ACCESS_DENIED;
        IoManagers.addDriver(fw.io(), function, DriverRegistration.function(0, "TEST\\CHILD"));
        IoManagers.addDriver(fw.io(), bus, DriverRegistration.rootDriver());
        idle();
        IoManagers.removeDriver(fw.io(), function).getValue();
        assertTrue(events.toString(), events.contains("cancelRemove Fn-on-child0-0"));
        assertTrue(events.toString(), events.indexOf("surprise Fn-on-child0-0") > events.indexOf("cancelRemove Fn-on-child0-0"));
        assertTrue(events.contains("remove Fn-on-child0-0"));
        DeviceObject child = fw.io().device("child0");
        assertNotNull("the hardware stays when only its driver leaves", child);
        assertNull(child.attachedDevice());
        fw.assertClean();
    }

    @Test
    public void whenADriverLeavesTheNextMatchingDriverTakesOver() throws Exception {
        Bus bus = new Bus("Bus", "TEST\\CHILD", "child0");
        Function preferred = new Function("Preferred", DeviceObject.Kind.FUNCTION);
        Function fallback = new Function("Fallback", DeviceObject.Kind.FUNCTION);
        IoManagers.addDriver(fw.io(), fallback, DriverRegistration.function(0, "TEST\\CHILD"));
        IoManagers.addDriver(fw.io(), bus, DriverRegistration.rootDriver());
        idle();
        DeviceObject child = fw.io().device("child0");
        assertSame(fallback.object, child.attachedTop().driver());
        // a better-ranked driver arriving later takes the device over through an orderly removal
        IoManagers.addDriver(fw.io(), preferred, DriverRegistration.function(10, "TEST\\CHILD"));
        idle();
        assertSame(preferred.object, child.attachedTop().driver());
        assertTrue(events.contains("remove Fallback-on-child0-0"));
        // and when it leaves, the fallback takes the hardware back
        IoManagers.removeDriver(fw.io(), preferred).getValue();
        idle();
        assertSame(fallback.object, child.attachedTop().driver());
        assertEquals(PnpState.STARTED, child.attachedTop().pnpState());
        // the PDO counts requests across stacks
        assertEquals(NtStatus.PENDING, fw.io().send(child, TestStacks.internal(child, TestStacks.ECHO)));
        fw.assertClean();
    }

    @Test
    public void surpriseRemovalFailsQueuedRequestsWithDeviceRemoved() throws Exception {
        QueueingDriver queueing = new QueueingDriver("Queueing");
        Driver queueDriver = new Driver() {
            @Override
            public DriverObject driverObject() {
                return queueing.driver;
            }

            @Override
            public DeviceObject addDevice(IoManager io, DeviceObject pdo) {
                DeviceObject d = io.createDevice(queueing.driver, "queueing-fdo", DeviceObject.Kind.FUNCTION, null);
                io.attach(d, pdo);
                queueing.queue = new CancelSafeQueue(d, "hw");
                return d;
            }
        };
        Bus bus = new Bus("Bus", "TEST\\Q", "child0");
        IoManagers.addDriver(fw.io(), queueDriver, DriverRegistration.function(0, "TEST\\Q"));
        IoManagers.addDriver(fw.io(), bus, DriverRegistration.rootDriver());
        idle();
        DeviceObject child = fw.io().device("child0");
        List<Irp> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Irp irp = TestStacks.internal(child, TestStacks.QUEUE);
            assertEquals(NtStatus.PENDING, fw.io().send(child, irp));
            sent.add(irp);
        }
        fw.io().surpriseRemove(child).getValue();
        for (Irp irp : sent) {
            assertTrue(irp.isCompleted());
            assertEquals(NtStatus.DEVICE_REMOVED, irp.status());
        }
        assertNull(child.attachedDevice());
        // the failed device waits for an explicit restart
        fw.io().restartDevice(child).getValue();
        assertEquals(PnpState.STARTED, child.attachedTop().pnpState());
        fw.assertClean();
    }

    @Test
    public void interfacesAreEnabledOnStartAndDisabledOnRemoval() throws Exception {
        java.util.Queue<String> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
        IoManager io = fw.newManager(new DeviceInterfaceListener() {
            @Override
            public void interfaceEnabled(DeviceObject device, String name) {
                assertEquals(ExecutionLevel.PASSIVE, ExecutionLevel.current());
                seen.add("+" + name + "@" + device.name());
            }

            @Override
            public void interfaceDisabled(DeviceObject device, String name) {
                seen.add("-" + name + "@" + device.name());
            }
        });
        Bus bus = new Bus("Bus", "TEST\\CHILD", "child0", "child1");
        Function function = new Function("Fn", DeviceObject.Kind.FUNCTION);
        IoManagers.addDriver(io, function, DriverRegistration.function(0, "TEST\\CHILD"));
        IoManagers.addDriver(io, bus, DriverRegistration.rootDriver());
        io.pnpIdle().getValue();
        // the bus drops a child: it is removed; the other stays
        bus.childNames.remove("child1");
        io.invalidateDeviceRelations(bus.fdo);
        io.pnpIdle().getValue();
        CompletableFuture<Void> flushed = new CompletableFuture<>();
        io.queueWorkItem(() -> flushed.complete(null));
        flushed.get(30, TimeUnit.SECONDS);
        assertEquals(List.of("+test.Fn@Fn-on-child0-0", "+test.Fn@Fn-on-child1-1", "-test.Fn@Fn-on-child1-1"), new ArrayList<>(seen));
        assertNull(io.device("child1"));
        assertNotNull(io.device("child0"));
        fw.assertClean();
    }

    @Test
    public void badDriverPropertiesAreRejectedWithTheirName() {
        try {
            DriverRegistration.fromProperties(java.util.Map.of(Driver.ROLE, "sideways", Driver.HARDWARE_IDS, "X"));
            throw new AssertionError("bad role accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(Driver.ROLE));
        }
        try {
            DriverRegistration.fromProperties(java.util.Map.of());
            throw new AssertionError("driver without hardware IDs accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(Driver.HARDWARE_IDS));
        }
        try {
            DriverRegistration.fromProperties(java.util.Map.of(Driver.HARDWARE_IDS, new String[] {" "}));
            throw new AssertionError("blank hardware ID accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("blank"));
        }
        DriverRegistration ok = DriverRegistration.fromProperties(
                java.util.Map.of(Driver.HARDWARE_IDS, new String[] {"A", "B"}, Driver.ROLE, "upperFilter", "service.ranking", 5));
        assertEquals(DriverRegistration.Role.UPPER_FILTER, ok.role());
        assertEquals(5, ok.ranking());
    }
}
