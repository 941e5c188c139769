package org.irpverbs.ib.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.hca.core.ResourceUsage;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.hca.memfree.MemFreeDriver;
import org.irpverbs.hca.tavor.TavorDriver;
import org.irpverbs.softhca.HcaModel;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The commands against real stacks on one fabric: hca0 (MT23108, Tavor driver) and hca1 (MT25208,
 * mem-free driver).
 */
public class IbCommandsTest {
    /** Liveness bound for a run to end once it was told to (interrupt, driver gone), on a loaded machine. */
    private static final long END_SECONDS = 60;

    private HcaTestRig rig;
    private TavorDriver tavor;
    private IbCommands commands;

    @Before
    public void setUp() {
        rig = new HcaTestRig();
        rig.hca("hca0", HcaModel.MT23108, 1, 2).hca("hca1", HcaModel.MT25208, 3, 4);
        tavor = new TavorDriver();
        rig.addDriver(tavor, TavorDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID);
        rig.addDriver(new MemFreeDriver(), MemFreeDriver.RANKING, HcaModel.MEMFREE_CAPABLE_ID);
        rig.startBus();
        commands = new IbCommands(rig.io);
    }

    @After
    public void tearDown() {
        Endpoint.afterMakingVerbSent = what -> {};
        rig.close();
    }

    private void assertNothingLeft() {
        for (String hca : new String[] {"hca0", "hca1"}) {
            assertNothingIn(rig.hcaDevice(hca));
        }
        rig.assertClean();
    }

    private static void assertNothingIn(HcaDevice device) {
        assertTrue(device.name() + ": " + device.statistics().resources(),
                device.statistics().resources().values().stream().allMatch(u -> u.inUse() == 0));
    }

    @Test
    public void devinfoListsEveryHcaWithItsPorts() {
        String out = commands.devinfo();
        assertTrue(out, out.contains("hca_id:\thca0"));
        assertTrue(out, out.contains("hca_id:\thca1"));
        assertTrue(out, out.contains("MT23108 (Tavor)"));
        assertTrue(out, out.contains("MT25208 (Arbel)"));
        assertTrue(out, out.contains("context memory ICM (mem-free)"));
        assertTrue(out, out.contains("PORT_ACTIVE (4)"));
        assertTrue(out, out.matches("(?s).*port_lid:\\t+4\\n.*"));
        assertTrue(out, out.matches("(?s).*active_mtu:\t+2048 \\(4\\)\n.*"));
        assertTrue(out, out.matches("(?s).*vendor_part_id:\t+25208\n.*"));
        assertFalse("limits only with -v: " + out, out.contains("max_qp"));
        rig.assertClean();
    }

    @Test
    public void devinfoTakesTheFiltersIbvDevinfoTakes() {
        String one = commands.devinfo("-d", "hca1");
        assertTrue(one, one.startsWith("hca_id:\thca1\n"));
        assertFalse(one, one.contains("hca0"));
        String port = commands.devinfo("-d", "hca0", "-i", "2");
        assertTrue(port, port.contains("\t\tport:\t2\n"));
        assertFalse(port, port.contains("\t\tport:\t1\n"));
        assertTrue(port, port.matches("(?s).*port_lid:\\t+2\\n.*"));
        String verbose = commands.devinfo("--ib-dev=hca1", "-v");
        assertTrue(verbose, verbose.matches("(?s).*max_qp:\\t+\\d+\\n.*"));
        assertTrue(verbose, verbose.matches("(?s).*max_cqe:\\t+\\d+\\n.*"));
        assertTrue(verbose, verbose.contains("pkeys:"));
        assertEquals("2 HCAs found:\n\thca0\n\thca1\n", commands.devinfo("-l"));
        rig.assertClean();
    }

    @Test
    public void devinfoSortsHcasInNaturalOrder() {
        rig.hca("hca14", HcaModel.MT25208, 5, 6).hca("hca2", HcaModel.MT25208, 7, 8);
        assertEquals("4 HCAs found:\n\thca0\n\thca1\n\thca2\n\thca14\n", commands.devinfo("-l"));
        String out = commands.devinfo();
        assertTrue(out, out.indexOf("hca_id:\thca2\n") < out.indexOf("hca_id:\thca14\n"));
        List<String> names = new java.util.ArrayList<>(List.of("hca14", "hca2", "hca10", "hca02", "hcb1", "hca", "hca1"));
        names.sort(Hcas.NATURAL_ORDER);
        assertEquals(List.of("hca", "hca1", "hca02", "hca2", "hca10", "hca14", "hcb1"), names);
        rig.assertClean();
    }

    @Test
    public void badDevinfoAndCmdifArgumentsFailWithOneLine() {
        bad("ib:devinfo: takes no arguments, got extra ('ib:devinfo -h' shows the usage)", () -> commands.devinfo("extra"));
        bad("ib:devinfo: unknown option -x; it takes -d, -i, -l, -v and -h", () -> commands.devinfo("-x"));
        bad("ib:devinfo: -d needs a value (<hca>)", () -> commands.devinfo("-d"));
        bad("ib:devinfo: -d: no HCA named 'hca9'; HCAs: hca0, hca1", () -> commands.devinfo("-d", "hca9"));
        bad("ib:devinfo: -i must be 1..2 on hca0, was 3", () -> commands.devinfo("-d", "hca0", "-i", "3"));
        bad("ib:devinfo: -i must be a whole number 1..254, was 'two'", () -> commands.devinfo("-i", "two"));
        bad("ib:devinfo: --verbose takes no value", () -> commands.devinfo("--verbose=yes"));
        bad("ib:cmdif: takes no arguments, got hca0", () -> commands.cmdif("hca0"));
        bad("ib:cmdif: -d: no HCA named 'x'", () -> commands.cmdif("-d", "x"));
        String one = commands.cmdif("-d", "hca1");
        assertTrue(one, one.startsWith("hca1 "));
        assertFalse(one, one.contains("hca0"));
        rig.assertClean();
    }

    @Test
    public void everyCommandPrintsItsUsageForHelp() {
        Map<String, Supplier<String>> help = Map.of(
                "ib:devinfo", () -> commands.devinfo("-h"),
                "ib:cmdif", () -> commands.cmdif("--help"),
                "ib:write_bw", () -> commands.write_bw("-h"),
                "ib:read_bw", () -> commands.read_bw("hca0", "1", "--help"),
                "ib:send_bw", () -> commands.send_bw("-h"),
                "ib:send_lat", () -> commands.send_lat("-h"));
        help.forEach((command, usage) -> {
            String text = usage.get();
            assertTrue(text, text.startsWith("usage: " + command));
            assertTrue(text, text.contains("  -h, --help"));
        });
        assertTrue(commands.devinfo("-h").contains("  -d, --ib-dev <hca>"));
        rig.assertClean();
    }

    @Test
    public void cmdifShowsCommandsResourcesAndContextMemory() {
        String out = commands.cmdif();
        assertTrue(out, out.contains("mode QUEUED, outstanding 0/16"));
        assertTrue(out, out.contains("QUERY_FW"));
        assertTrue(out, out.contains("SYS_EN"));
        assertTrue(out, out.contains("RUN_FW"));
        assertTrue(out, out.contains("ICM chunks mapped"));
        assertTrue(out, out.contains("tables carved at INIT_HCA"));
        rig.assertClean();
    }

    @Test
    public void writeBandwidthMovesVerifiedDataAndPrintsThePerftestColumns() {
        String out = commands.write_bw("hca0", "1", "hca1", "1", "-s", "65536", "-n", "200");
        assertTrue(out, out.contains("RDMA_Write BW Test"));
        assertTrue(out, out.contains("#bytes     #iterations    BW peak[MB/sec]    BW average[MB/sec]   MsgRate[Mpps]"));
        assertTrue(out, out.contains(" 65536      200"));
        assertTrue(out, out.contains("data verified"));
        assertFalse("no progress in the result: " + out, out.contains("\r"));
        assertNothingLeft();
    }

    @Test
    public void readAndSendBandwidthAndSendLatencyRun() {
        String read = commands.read_bw("hca1", "2", "hca0", "2", "-s", "8192", "-n", "100", "-t", "8");
        assertTrue(read, read.contains("RDMA_Read BW Test") && read.contains("data verified"));
        String send = commands.send_bw("hca0", "1", "hca1", "2", "-s", "4096", "-n", "300", "-t", "16");
        assertTrue(send, send.contains("Send BW Test") && send.contains("each of the 300 messages"));
        String lat = commands.send_lat("hca1", "1", "hca0", "2", "-s", "64", "-n", "100");
        assertTrue(lat, lat.contains("t_min[usec]") && lat.contains("99% percentile[usec]") && lat.contains(" 64      100"));
        assertTrue(lat, lat.contains("data verified"));
        assertNothingLeft();
    }

    @Test
    public void readBandwidthSaysWhichDepthItRunsWith() {
        String read = commands.read_bw("hca1", "1", "hca0", "1", "-s", "64", "-t", "1024");
        assertTrue(read, read.contains(" TX depth        : 1000 (-t 1024 is more than the 1000 iterations)\n"));
        assertTrue(read, read.contains(" Outstand reads  : 16 (the most a QP takes; -t 1000 reads are posted)\n"));
        assertTrue(read, read.contains("data verified"));
        assertNothingLeft();
    }

    @Test
    public void timedRunsStopAfterTheirDuration() {
        String write = commands.write_bw("hca0", "1", "hca1", "1", "-s", "4096", "-D", "1");
        assertTrue(write, write.contains(" Duration        : 1 s\n"));
        assertTrue(write, write.matches("(?s).*\\n 4096       [1-9]\\d* .*data verified.*"));
        String send = commands.send_bw("hca0", "1", "hca1", "1", "-s", "4096", "-D", "1", "-t", "8");
        assertTrue(send, send.matches("(?s).*\\n 4096       [1-9]\\d* .*data verified.*"));
        String lat = commands.send_lat("hca1", "1", "hca0", "1", "-D", "1");
        assertTrue(lat, lat.contains("#bytes  #iterations  t_avg[usec]    tps average"));
        assertTrue(lat, lat.matches("(?s).*\\n 2       [1-9]\\d* .*data verified.*"));
        assertNothingLeft();
    }

    @Test
    public void progressIsShownWhileRunningAndClearedBeforeTheResult() {
        RecordingDisplay display = new RecordingDisplay(0);
        String out = new IbCommands(rig.io, () -> display).write_bw("hca0", "1", "hca1", "1", "-s", "4096", "-n", "300");
        assertTrue(out, out.contains("data verified"));
        assertFalse(display.lines.toString(), display.lines.isEmpty());
        assertTrue(display.lines.toString(), display.lines.get(0).matches("ib:write_bw: \\d+ of 300 iterations \\(\\d+%\\), \\d+ s"));
        assertEquals("cleared last", "<clear>", display.events.get(display.events.size() - 1));
        RecordingDisplay slow = new RecordingDisplay(TimeUnit.HOURS.toNanos(1));
        new IbCommands(rig.io, () -> slow).send_lat("hca0", "1", "hca1", "1", "-n", "300");
        assertEquals("at most once per interval", List.of(), slow.lines);
        assertNothingLeft();
    }

    @Test
    public void badPerftestArgumentsFailWithOneLine() {
        bad("ib:write_bw: no HCA named 'hca9'; HCAs: hca0, hca1", () -> commands.write_bw("hca9", "1", "hca1", "1"));
        assertEquals("ib:read_bw: port must be 1..2 on hca0, was 3", failureOf(() -> commands.read_bw("hca0", "3", "hca1", "1")));
        assertEquals("ib:read_bw: remote port must be 1..2 on hca1, was 7; the PD, MR, CQs and QP it made on hca0 were"
                + " released", failureOf(() -> commands.read_bw("hca0", "1", "hca1", "7")));
        bad("ib:send_bw: unknown option -x", () -> commands.send_bw("hca0", "1", "hca1", "1", "-x", "1"));
        bad("ib:send_lat: expected 4 arguments", () -> commands.send_lat());
        bad("ib:write_bw: -s must be 1..8388608, was 0", () -> commands.write_bw("hca0", "1", "hca1", "1", "-s", "0"));
        bad("ib:write_bw: -n must be a whole number 1..1000000, was '1e3'",
                () -> commands.write_bw("hca0", "1", "hca1", "1", "-n", "1e3"));
        assertNothingLeft();
    }

    @Test
    public void perftestOnAnHcaWithoutADriverSaysItHasNoDriver() {
        rig.removeDriver(tavor);
        String devinfo = commands.devinfo();
        assertTrue(devinfo, devinfo.contains("(no driver) hca0"));
        bad("ib:write_bw: HCA hca0 exists but has no driver (PCI\\VEN_02C9&DEV_5A44",
                () -> commands.write_bw("hca0", "1", "hca1", "1"));
        bad("its driver bundle is stopped or being replaced", () -> commands.send_lat("hca1", "1", "hca0", "1"));
        bad("ib:cmdif: -d: HCA hca0 exists but has no driver", () -> commands.cmdif("-d", "hca0"));
        assertEquals("(no driver) hca0: " + String.join(", ", rig.io.device("hca0").hardwareIds()) + "\n",
                commands.devinfo("-d", "hca0"));
        assertNothingIn(rig.hcaDevice("hca1"));
        rig.assertClean();
    }

    @Test
    public void interruptedSendLatencyReleasesEverythingItMadeAndSaysSo() throws Exception {
        Map<String, ResourceUsage> before0 = rig.hcaDevice("hca0").statistics().resources();
        Map<String, ResourceUsage> before1 = rig.hcaDevice("hca1").statistics().resources();
        RecordingDisplay display = new RecordingDisplay(0);
        Run run = Run.start(() -> new IbCommands(rig.io, () -> display).send_lat("hca1", "1", "hca0", "1", "-n",
                "1000000"));
        assertTrue("the run got going", display.shown.await(END_SECONDS, TimeUnit.SECONDS));
        assertTrue("it made its QP on both HCAs",
                rig.hcaDevice("hca0").statistics().resources().get("QP").inUse() > 0
                        && rig.hcaDevice("hca1").statistics().resources().get("QP").inUse() > 0);
        run.thread.interrupt();
        Throwable failure = run.end();
        assertTrue(String.valueOf(failure), failure instanceof CommandFailure);
        assertTrue(failure.getMessage(), failure.getMessage().matches("ib:send_lat: interrupted after \\d+ of 1000000"
                + " iterations; the PD, MR, CQs and QP it made on hca1 and hca0 were released"));
        assertEquals(before0, rig.hcaDevice("hca0").statistics().resources());
        assertEquals(before1, rig.hcaDevice("hca1").statistics().resources());
        assertEquals("the terminal is told too (a cancelled Gogo job drops the failure)",
                List.of("<clear>", "<interrupted> " + failure.getMessage()),
                display.events.subList(display.events.size() - 2, display.events.size()));
        rig.assertClean();
    }

    @Test
    public void interruptDuringSetUpReleasesWhatWasMade() throws Exception {
        Map<String, ResourceUsage> before0 = rig.hcaDevice("hca0").statistics().resources();
        Map<String, ResourceUsage> before1 = rig.hcaDevice("hca1").statistics().resources();
        Run run = Run.start(() -> {
            Thread.currentThread().interrupt(); // as if Ctrl-C came before the first verb completed
            return commands.write_bw("hca0", "1", "hca1", "1");
        });
        Throwable failure = run.end();
        assertTrue(String.valueOf(failure), failure instanceof CommandFailure);
        assertTrue(failure.getMessage(), failure.getMessage().startsWith("ib:write_bw: "));
        assertTrue(failure.getMessage(), failure.getMessage().contains("interrupted"));
        assertEquals(before0, rig.hcaDevice("hca0").statistics().resources());
        assertEquals(before1, rig.hcaDevice("hca1").statistics().resources());
        rig.assertClean();
    }

    @Test
    public void interruptWhileAVerbMakesAnObjectReleasesThatObjectToo() throws Exception {
        Map<String, ResourceUsage> before0 = rig.hcaDevice("hca0").statistics().resources();
        Map<String, ResourceUsage> before1 = rig.hcaDevice("hca1").statistics().resources();
        // Ctrl-C lands while CREATE_QP on hca0 is in the HCA: the QP is made after the wait gave up
        Endpoint.afterMakingVerbSent = what -> {
            if (what.equals("CREATE_QP on hca0")) {
                Thread.currentThread().interrupt();
            }
        };
        Run run = Run.start(() -> commands.write_bw("hca1", "1", "hca0", "1"));
        Throwable failure = run.end();
        assertEquals("ib:write_bw: interrupted during set-up; the PD, MR, CQs and QP it made on hca1 were released",
                failure.getMessage());
        assertEquals(before0, rig.hcaDevice("hca0").statistics().resources());
        assertEquals(before1, rig.hcaDevice("hca1").statistics().resources());
        rig.assertClean();
    }

    /**
     * Regression (ShellCommandsIT on a loaded machine): Ctrl-C landed while MODIFY_QP was in the
     * HCA; the driver then refused DESTROY_QP ("another operation on QP is in progress"), and the
     * QP, both CQs and the PD stayed behind. The command now lets the modify finish first.
     */
    @Test
    public void interruptWhileAModifyIsInTheHcaReleasesEverything() throws Exception {
        Map<String, ResourceUsage> before0 = rig.hcaDevice("hca0").statistics().resources();
        Map<String, ResourceUsage> before1 = rig.hcaDevice("hca1").statistics().resources();
        Endpoint.afterMakingVerbSent = what -> {
            if (what.equals("MODIFY_QP INIT->RTR on hca0")) {
                Thread.currentThread().interrupt();
            }
        };
        Run run = Run.start(() -> commands.send_lat("hca1", "1", "hca0", "1"));
        Throwable failure = run.end();
        assertEquals("ib:send_lat: interrupted during set-up; the PD, MR, CQs and QP it made on hca1 and hca0 were"
                + " released", failure.getMessage());
        assertEquals(before0, rig.hcaDevice("hca0").statistics().resources());
        assertEquals(before1, rig.hcaDevice("hca1").statistics().resources());
        rig.assertClean();
    }

    @Test
    public void driverGoingAwayDuringWriteBandwidthEndsWithOneClearLine() throws Exception {
        HcaDevice hca0 = rig.hcaDevice("hca0");
        Map<String, ResourceUsage> before1 = rig.hcaDevice("hca1").statistics().resources();
        RecordingDisplay display = new RecordingDisplay(0);
        Run run = Run.start(() -> new IbCommands(rig.io, () -> display).write_bw("hca0", "1", "hca1", "1", "-s", "4096",
                "-n", "1000000"));
        assertTrue("the run got going", display.shown.await(END_SECONDS, TimeUnit.SECONDS));
        rig.removeDriver(tavor);
        Throwable failure = run.end();
        assertTrue(String.valueOf(failure), failure instanceof CommandFailure);
        assertTrue(failure.getMessage(), failure.getMessage().matches("ib:write_bw: the driver of hca0 \\(TavorHca\\) went"
                + " away during the run, after \\d+ of 1000000 iterations; the PD, MR, CQs and QP it made on hca1 were"
                + " released, and those on hca0 went with its device"));
        assertEquals(HcaDevice.State.REMOVED, hca0.state());
        assertEquals(before1, rig.hcaDevice("hca1").statistics().resources());
        rig.addDriver(new TavorDriver(), TavorDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID);
        assertNothingLeft();
        String again = commands.write_bw("hca0", "1", "hca1", "1", "-n", "100");
        assertTrue(again, again.contains("data verified"));
        assertNothingLeft();
    }

    private static void bad(String message, Runnable command) {
        String failure = failureOf(command);
        assertTrue("'" + failure + "' should say '" + message + "'", failure.contains(message));
    }

    /** The one line the command fails with. */
    private static String failureOf(Runnable command) {
        try {
            command.run();
            throw new AssertionError("accepted");
        } catch (CommandFailure e) {
            assertEquals("no class name", e.getMessage(), e.toString());
            assertFalse("one line: " + e.getMessage(), e.getMessage().contains("\n"));
            return e.getMessage();
        }
    }

    /** A command run on its own thread, as the shell runs it. */
    private static final class Run {
        final Thread thread;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicReference<String> result = new AtomicReference<>();

        private Run(Supplier<String> command) {
            thread = new Thread(() -> {
                try {
                    result.set(command.get());
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "command");
        }

        static Run start(Supplier<String> command) {
            Run run = new Run(command);
            run.thread.start();
            return run;
        }

        /** Waits for the command to end; its failure (the test fails if it succeeded or did not end). */
        Throwable end() throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(END_SECONDS));
            assertFalse("the command ended within " + END_SECONDS + " s", thread.isAlive());
            assertNotNull("the command failed; it returned " + result.get(), failure.get());
            return failure.get();
        }
    }

    /** Records what a run shows; {@link #shown} opens at the first line. */
    private static final class RecordingDisplay implements ProgressDisplay {
        final List<String> lines = new CopyOnWriteArrayList<>();
        final List<String> events = new CopyOnWriteArrayList<>();
        final CountDownLatch shown = new CountDownLatch(1);
        private final long interval;

        RecordingDisplay(long intervalNanos) {
            this.interval = intervalNanos;
        }

        @Override
        public void show(String line) {
            lines.add(line);
            events.add(line);
            shown.countDown();
        }

        @Override
        public void clear() {
            events.add("<clear>");
        }

        @Override
        public void interrupted(String line) {
            events.add("<interrupted> " + line);
        }

        @Override
        public long intervalNanos() {
            return interval;
        }
    }
}
