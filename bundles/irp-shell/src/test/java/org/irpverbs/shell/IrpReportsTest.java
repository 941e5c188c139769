package org.irpverbs.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.CancelSafeQueue;
import org.irpverbs.irp.CodePreloader;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.DriverRegistration;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.IoctlCode;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpHandler;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The reports against a standalone I/O manager with three small drivers: a root-enumerated bus
 * with one child, a function driver and an upper filter for that child.
 */
public class IrpReportsTest {
    static final String CHILD_ID = "TEST\\CHILD";
    static final int SUCCEED = code(0x900);
    static final int FAIL = code(0x901);
    static final int QUEUE = code(0x902);

    private IoManager io;
    private TestBus bus;
    private TestFunction function;
    private TestFilter filter;

    static int code(int function) {
        return IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_IRPVERBS, function, IoctlCode.METHOD_BUFFERED,
                IoctlCode.FILE_ANY_ACCESS);
    }

    /** Root-enumerated bus with one child PDO "Child0". */
    static final class TestBus implements Driver {
        final DriverObject object;
        DeviceObject child;

        TestBus() {
            this(List.of(CHILD_ID));
        }

        TestBus(List<String> childIds) {
            object = DriverObject.builder("TestBus").pnp(new PnpHandler() {
                @Override
                public List<DeviceObject> queryBusRelations(DeviceObject device) {
                    if (device.kind() != DeviceObject.Kind.FUNCTION) {
                        return null;
                    }
                    if (child == null) {
                        child = device.ioManager().createPhysicalDevice(object, "Child0", childIds, null);
                    }
                    return List.of(child);
                }
            }).build();
        }

        @Override
        public DriverObject driverObject() {
            return object;
        }

        @Override
        public DeviceObject addDevice(IoManager io, DeviceObject pdo) {
            DeviceObject fdo = io.createDevice(object, "Bus0", DeviceObject.Kind.FUNCTION, null);
            io.attach(fdo, pdo);
            return fdo;
        }
    }

    /** Extension with a summary for the DETAILS column. */
    static final class FunctionState {
        volatile CancelSafeQueue queue;
        /** More details, as an HCA device's summary has (a test makes them long). */
        volatile String more = "";

        @Override
        public String toString() {
            return "queued " + queue.size() + more;
        }
    }

    /** Function driver: SUCCEED completes, FAIL fails, QUEUE parks the request until cancelled. */
    static final class TestFunction implements Driver {
        final DriverObject object = DriverObject.builder("TestFunction")
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, TestFunction::dispatch).build();

        private static int dispatch(DeviceObject device, Irp irp) {
            int code = irp.currentLocation().ioControlCode();
            if (code == QUEUE) {
                return device.extension(FunctionState.class).queue.insert(irp);
            }
            int status = code == SUCCEED ? NtStatus.SUCCESS : NtStatus.INVALID_PARAMETER;
            irp.complete(status);
            return status;
        }

        @Override
        public DriverObject driverObject() {
            return object;
        }

        @Override
        public DeviceObject addDevice(IoManager io, DeviceObject pdo) {
            FunctionState state = new FunctionState();
            DeviceObject fdo = io.createDevice(object, "Function0", DeviceObject.Kind.FUNCTION, state);
            state.queue = new CancelSafeQueue(fdo, "parked");
            io.attach(fdo, pdo);
            return fdo;
        }
    }

    /** Upper filter that passes everything down. */
    static final class TestFilter implements Driver {
        final DriverObject object = DriverObject.builder("TestFilter")
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (device, irp) -> {
                    irp.skipCurrentLocation();
                    return device.lowerDevice().callDriver(irp);
                }).pnp(new PnpHandler() {
                    @Override
                    public CompletionStage<Integer> start(DeviceObject device) {
                        return SUCCESS;
                    }
                }).build();

        @Override
        public DriverObject driverObject() {
            return object;
        }

        @Override
        public DeviceObject addDevice(IoManager io, DeviceObject pdo) {
            DeviceObject f = io.createDevice(object, "Filter0", DeviceObject.Kind.FILTER, null);
            io.attach(f, pdo);
            return f;
        }
    }

    @Before
    public void setUp() throws Exception {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
        DriverVerifier.reset();
        // the test drivers' code and the reports' run at DISPATCH or beside it: load them at PASSIVE
        // first (a cold run once met a class load at DISPATCH in a completion DPC, CodePreloader)
        CodePreloader.preload(IrpReportsTest.class, IrpReports.class);
        io = IoManagers.create("shell-test", 2, null);
    }

    private void buildStacks(String... moreChildIds) throws Exception {
        List<String> ids = new java.util.ArrayList<>(List.of(CHILD_ID));
        ids.addAll(List.of(moreChildIds));
        bus = new TestBus(ids);
        function = new TestFunction();
        filter = new TestFilter();
        IoManagers.addDriver(io, function, DriverRegistration.function(0, CHILD_ID));
        IoManagers.addDriver(io, filter,
                new DriverRegistration(List.of(CHILD_ID), DriverRegistration.Role.UPPER_FILTER, 0, false));
        IoManagers.addDriver(io, bus, DriverRegistration.rootDriver());
        io.pnpIdle().getValue();
        // irp-framework 0.1.0 publishes busRelations() before it records the children of the
        // enumeration that found them, so the first enumeration shows up only with the next one
        io.invalidateDeviceRelations(io.device("Bus0"));
        io.pnpIdle().getValue();
    }

    @After
    public void tearDown() throws Exception {
        for (Driver d : new Driver[] {bus, filter, function}) {
            if (d != null) {
                IoManagers.removeDriver(io, d).getValue();
            }
        }
        IoManagers.shutdown(io);
    }

    private void assertClean() {
        assertEquals("blocking at DISPATCH: " + BlockingDetector.recentViolations(), 0, BlockingDetector.violationCount());
        assertEquals("driver bugs: " + DriverVerifier.recentBugs(), 0, DriverVerifier.bugCount());
    }

    private static List<String> lines(String text) {
        return List.of(text.split("\n", -1));
    }

    private static String lineStarting(String text, String prefix) {
        return lines(text).stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting with '" + prefix + "' in\n" + text));
    }

    /** Every table line puts the named column's cell at the header's offset. */
    private static void assertColumnAligned(String text, String firstHeader, String header, List<String> cells) {
        String head = lineStarting(text, firstHeader);
        int column = head.indexOf(header);
        assertTrue(header + " in header", column >= 0);
        for (String cell : cells) {
            String line = lines(text).stream().filter(l -> l.length() > column && l.startsWith(cell, column)).findFirst()
                    .orElse(null);
            assertTrue("'" + cell + "' aligned under " + header + " in\n" + text, line != null);
        }
    }

    @Test
    public void stacksListsEveryStackTopToBottomInAnAlignedTable() throws Exception {
        buildStacks();
        String text = IrpReports.stacks(io);
        assertTrue(text, text.startsWith("Device stacks, each from top to bottom: 2\n\n"));
        assertTrue(text, Pattern.compile("(?m)^STACK  KIND    NAME +DRIVER +PNP STATE +IN FLIGHT  HARDWARE IDS$")
                .matcher(text).find());
        assertColumnAligned(text, "STACK", "NAME", List.of("Bus0 ", "ROOT\\TestBus#", "Filter0 ", "Function0 ", "Child0 "));
        assertColumnAligned(text, "STACK", "DRIVER", List.of("TestBus ", "RootEnumerator ", "TestFilter ", "TestFunction "));
        // the child's stack, top to bottom: filter, function device, physical device with its IDs
        List<String> all = lines(text);
        int filterLine = indexOf(all, "Filter0");
        assertTrue(all.get(filterLine).matches("2 +filter +Filter0 +TestFilter +STARTED +0"));
        assertTrue(all.get(filterLine + 1).matches(" +FDO +Function0 +TestFunction +STARTED +0"));
        assertTrue(all.get(filterLine + 2).matches(" +PDO +Child0 +TestBus +STARTED +0  TEST\\\\CHILD"));
        assertEquals("a blank line separates stacks", "", all.get(filterLine - 1));
        assertTrue(text, text.contains(""
                + "Bus relations:\n"
                + "Bus0 (FDO, TestBus, STARTED)\n"
                + "`-- Child0 (PDO, TestBus, STARTED) [TEST\\CHILD] -> Filter0 (filter, TestFilter, STARTED)\n"));
        assertClean();
    }

    private static int indexOf(List<String> lines, String contained) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(contained)) {
                return i;
            }
        }
        throw new AssertionError(contained + " not in " + lines);
    }

    @Test
    public void statsCountsEachOutcomePerDeviceAndTotals() throws Exception {
        buildStacks();
        DeviceObject child = io.device("Child0");
        assertEquals(NtStatus.SUCCESS, io.internalDeviceControl(child, SUCCEED, null, null, null).getValue().status());
        assertEquals(NtStatus.SUCCESS, io.internalDeviceControl(child, SUCCEED, null, null, null).getValue().status());
        assertEquals(NtStatus.INVALID_PARAMETER, io.internalDeviceControl(child, FAIL, null, null, null).getValue().status());
        Irp parked = Irp.forDevice(child);
        parked.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL).setIoControlCode(QUEUE);
        var cancelled = io.submit(child, parked);
        Irp queuedToo = Irp.forDevice(child);
        queuedToo.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL).setIoControlCode(QUEUE);
        var stillQueued = io.submit(child, queuedToo);
        assertTrue(parked.cancel());
        assertEquals(NtStatus.CANCELLED, cancelled.getValue().status());

        String text = IrpReports.stats(io);
        assertTrue(text, Pattern.compile("(?m)^DEVICE +KIND +DRIVER +IN FLIGHT  COMPLETED  FAILED  CANCELLED  TIMED OUT  DETAILS$")
                .matcher(text).find());
        assertTrue(text, lineStarting(text, "Function0 ").matches(
                "Function0 +FDO +TestFunction +1 +2 +1 +1 +0  queued 1"));
        // the filter skipped its location: it counts each request it passed on as in flight until
        // it completes, and then with the status it completed with below (issue 10, 2.10)
        assertTrue(text, lineStarting(text, "Filter0 ").matches("Filter0 +filter +TestFilter +1 +2 +1 +1 +0"));
        assertTrue(text, lineStarting(text, "Child0 ").matches("Child0 +PDO +TestBus +0 +0 +0 +0 +0"));
        assertTrue(text, lineStarting(text, "total ").matches("total +2 +4 +2 +2 +0"));
        assertColumnAligned(text, "DEVICE", "DRIVER", List.of("TestFunction", "TestFilter", "TestBus", "RootEnumerator"));
        assertTrue(text, text.contains("Blocking at DISPATCH: 0 violation(s) (detection FAIL)\n"));
        assertTrue(text, text.contains("Driver bugs (DriverVerifier): 0\n"));

        // flush the parked request through the tear-down path: removal completes it
        IoManagers.removeDriver(io, function).getValue();
        function = null;
        assertEquals(NtStatus.DELETE_PENDING, stillQueued.getValue().status());
        assertClean();
    }

    @Test
    public void statsListsRecentDriverBugs() throws Exception {
        DriverVerifier.report("Function0: dispatch of DEVICE_CONTROL returned STATUS_SUCCESS without completing");
        String text = IrpReports.stats(io);
        assertTrue(text, text.contains("Driver bugs (DriverVerifier): 1\n"
                + "  - Function0: dispatch of DEVICE_CONTROL returned STATUS_SUCCESS without completing\n"));
        DriverVerifier.reset(); // the bug was this test's own
        assertClean();
    }

    @Test
    public void anEmptyManagerSaysSo() {
        assertEquals("No devices.\n\nBus relations: none reported.\n", IrpReports.stacks(io));
        assertTrue(IrpReports.stats(io).startsWith("No devices.\n\nBlocking at DISPATCH: 0 violation(s)"));
        assertClean();
    }

    @Test
    public void theCommandsReturnTheReports() throws Exception {
        buildStacks();
        IrpCommands commands = new IrpCommands(io);
        assertEquals(IrpReports.stacks(io), commands.stacks());
        assertTrue(commands.stats().contains("Function0"));
        assertClean();
    }

    @Test
    public void statsLinesFit120ColumnsWithLongDetailsWrapped() throws Exception {
        buildStacks();
        StringBuilder more = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            more.append(", table").append(i).append(" ").append(i * 7).append("/1024");
        }
        io.device("Function0").extension(FunctionState.class).more = more.toString();
        String text = IrpReports.stats(io);
        for (String line : lines(text)) {
            assertTrue(line.length() + " columns: " + line, line.length() <= IrpReports.WIDTH);
        }
        int details = lineStarting(text, "DEVICE").indexOf("DETAILS");
        List<String> all = lines(text);
        int first = indexOf(all, "Function0 ");
        StringBuilder wrapped = new StringBuilder(all.get(first).substring(details));
        for (int i = first + 1; all.get(i).length() > details && all.get(i).substring(0, details).isBlank(); i++) {
            wrapped.append(' ').append(all.get(i).substring(details));
        }
        assertEquals("the details, wrapped under their column", "queued 0" + more, wrapped.toString());
        assertTrue(lineStarting(text, "Function0 ").matches("Function0 +FDO +TestFunction( +0){5}  queued 0, table0 0/1024.*"));
        assertClean();
    }

    @Test
    public void stacksLinesFit120ColumnsWithLongHardwareIds() throws Exception {
        buildStacks("PCI\\VEN_02C9&DEV_6278&SUBSYS_00000000", "IRPVERBS\\MEMFREE_CAPABLE", "IRPVERBS\\TAVOR_COMPATIBLE");
        String text = IrpReports.stacks(io);
        for (String line : lines(text)) {
            assertTrue(line.length() + " columns: " + line, line.length() <= IrpReports.WIDTH);
        }
        assertTrue(text, text.contains("`-- Child0 (PDO, TestBus, STARTED) [TEST\\CHILD, PCI\\VEN_02C9&DEV_6278&SUBSYS_00000000,"
                + " IRPVERBS\\MEMFREE_CAPABLE,\n        IRPVERBS\\TAVOR_COMPATIBLE] -> Filter0 (filter, TestFilter, STARTED)\n"));
        assertClean();
    }

    @Test
    public void theCommandsPrintTheirUsageForHelpAndRejectAnythingElseInOneLine() throws Exception {
        IrpCommands commands = new IrpCommands(io);
        assertTrue(commands.stacks("-h").startsWith("usage: irp:stacks\n"));
        assertTrue(commands.stats("--help").startsWith("usage: irp:stats\n"));
        assertTrue(commands.stats("-h").contains("  -h, --help"));
        bad("irp:stacks: takes no arguments, got extra ('irp:stacks -h' shows the usage)", () -> commands.stacks("extra"));
        bad("irp:stats: unknown option -w; it takes only -h ('irp:stats -h' shows the usage)",
                () -> commands.stats("-w", "80"));
        assertClean();
    }

    private static void bad(String message, Runnable command) {
        try {
            command.run();
            throw new AssertionError("accepted");
        } catch (IllegalArgumentException e) {
            assertEquals(message, e.getMessage());
            assertEquals("no class name", e.getMessage(), e.toString());
        }
    }

    @Test
    public void extensionsWithoutTheirOwnToStringShowNoDetails() throws Exception {
        buildStacks();
        assertEquals("", IrpReports.details(io.device("Bus0")));
        assertEquals("queued 0", IrpReports.details(io.device("Function0")));
        assertClean();
    }
}
