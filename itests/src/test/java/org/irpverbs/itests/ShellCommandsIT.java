package org.irpverbs.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.OptionUtils.combine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Job;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.hca.core.ResourceUsage;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.PnpState;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * The ib and irp shell commands run through Gogo in the container, as a user types them:
 * {@code help} shows their descriptions, {@code -h} their usage, a bad argument one line without a
 * Java class name; an HCA whose driver bundle is stopped is named as such; stopping the driver
 * bundle during a perftest, or interrupting the command's job (what Ctrl-C does), ends it with one
 * line and leaves nothing behind on the HCAs.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShellCommandsIT {
    /** Liveness bound for anything the container does, on a loaded two-core machine. */
    private static final long SECONDS = 60;

    @Inject
    private BundleContext context;

    @Inject
    private IoManager io;

    @Inject
    private CommandProcessor processor;

    private CommandSession session;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @Configuration
    public Option[] config() {
        // gogo.command brings `help`, which prints the commands' descriptors
        return combine(Containers.irpverbs(), options(
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.command").versionAsInProject()));
    }

    @Before
    public void openSession() throws Exception {
        BlockingDetector.reset();
        DriverVerifier.reset();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        session = processor.createSession(new ByteArrayInputStream(new byte[0]), print, print);
        assertNotNull("hca0 started", started("hca0"));
        assertNotNull("hca1 started", started("hca1"));
        // These tests prove that a verb command releases everything it made: nothing may be left
        // on the HCAs. IBAL's MAD service holds a PD, an MR and a CQ on every ACTIVE port, so IBAL
        // does not run here (IbalIT and DistributionIT cover it); ib-shell needs only its API.
        for (Bundle b : context.getBundles()) {
            if ("ibal-bundle".equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) {
                b.stop();
            }
        }
        // IBAL's teardown is asynchronous: its device's REMOVE completes once its MAD services
        // released what they held, so wait for IBAL's device to be gone (the bound is liveness
        // only). Waiting for empty HCAs alone was wrong: a MAD service still starting when the
        // bundle stopped made its PD after a first empty look.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        while (ibalDevicesRemain() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse("IBAL's device is gone: " + ibalDevices(), ibalDevicesRemain());
        assertNothingIn("hca0");
        assertNothingIn("hca1");
    }

    /** IBAL's own device (its FDO, ibal<k>) still there: its REMOVE completes after its MAD services stopped. */
    private boolean ibalDevicesRemain() {
        return io.devices().stream().anyMatch(d -> d.pnpState() != PnpState.DELETED
                && d.kind() == DeviceObject.Kind.FUNCTION && d.driver() != null && d.driver().name().equals("Ibal"));
    }

    private String ibalDevices() {
        StringBuilder b = new StringBuilder();
        for (DeviceObject d : io.devices()) {
            if (d.driver() != null && d.driver().name().equals("Ibal")) {
                b.append(d.name()).append(' ').append(d.kind()).append(' ').append(d.pnpState()).append("; ");
            }
        }
        return b.toString();
    }

    private boolean nothingIn(String name) throws Exception {
        return started(name).statistics().resources().values().stream().allMatch(u -> u.inUse() == 0);
    }

    @After
    public void closeSession() throws Exception {
        session.close();
        Bundle tavor = tavorBundle();
        if (tavor.getState() != Bundle.ACTIVE) {
            tavor.start();
        }
        assertNotNull("hca0 is back under its driver", started("hca0"));
        assertEquals(0, BlockingDetector.violationCount());
        assertEquals(0, DriverVerifier.bugCount());
    }

    private String printed() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The command's failure as Gogo would print it (its toString). */
    private String failure(String command) {
        try {
            Object result = session.execute(command);
            throw new AssertionError(command + " succeeded: " + result);
        } catch (Exception e) {
            return e.toString();
        }
    }

    @Test
    public void helpDescribesEachCommandAndItsParameters() throws Exception {
        String writeBw = help("ib:write_bw");
        assertTrue(writeBw, writeBw.contains("RDMA WRITE bandwidth between two HCA ports"));
        assertTrue(writeBw, writeBw.contains("<hca> <port> <remote hca> <remote port> [-s bytes]"));
        String devinfo = help("ib:devinfo");
        assertTrue(devinfo, devinfo.contains("[-d <hca>] [-i <port>] [-l] [-v] [-h]"));
        String stats = help("irp:stats");
        assertTrue(stats, stats.contains("request counters per device"));
    }

    /** What {@code help <command>} prints (gogo.command's help prints, and returns nothing). */
    private String help(String command) throws Exception {
        out.reset();
        Object result = session.execute("help " + command);
        return printed() + (result == null ? "" : result);
    }

    @Test
    public void dashHPrintsTheUsageOfEveryCommand() throws Exception {
        for (String command : new String[] {"ib:devinfo", "ib:cmdif", "ib:write_bw", "ib:read_bw", "ib:send_bw",
            "ib:send_lat", "irp:stacks", "irp:stats"}) {
            Object usage = session.execute(command + " -h");
            assertTrue(command + ": " + usage, String.valueOf(usage).startsWith("usage: " + command));
        }
    }

    @Test
    public void badArgumentsFailWithOneLineWithoutAClassName() throws Exception {
        assertEquals("ib:devinfo: takes no arguments, got extra ('ib:devinfo -h' shows the usage)",
                failure("ib:devinfo extra"));
        assertEquals("irp:stacks: takes no arguments, got extra ('irp:stacks -h' shows the usage)",
                failure("irp:stacks extra"));
        assertEquals("ib:read_bw: -t must be 1..1024, was 5000", failure("ib:read_bw hca0 1 hca1 1 -t 5000"));
        assertEquals("ib:write_bw: no HCA named 'hca9'; HCAs: hca0, hca1", failure("ib:write_bw hca9 1 hca1 1"));
        String devinfo = String.valueOf(session.execute("ib:devinfo -d hca1 -i 2"));
        assertTrue(devinfo, devinfo.startsWith("hca_id:\thca1\n") && devinfo.contains("\t\tport:\t2\n"));
        assertFalse(devinfo, devinfo.contains("\t\tport:\t1\n"));
    }

    @Test
    public void aRunInASessionWithoutATerminalPrintsNoProgress() throws Exception {
        out.reset();
        String result = String.valueOf(session.execute("ib:write_bw hca0 1 hca1 1 -s 4096 -n 300"));
        assertTrue(result, result.contains("data verified"));
        assertFalse("progress only on a terminal: " + printed(), printed().contains("\r") || result.contains("\r"));
        assertFalse(printed(), printed().contains("iterations ("));
        assertNothingIn("hca0");
        assertNothingIn("hca1");
    }

    @Test
    public void anHcaWhoseDriverBundleIsStoppedIsNamedAsSuch() throws Exception {
        tavorBundle().stop();
        String devinfo = String.valueOf(session.execute("ib:devinfo"));
        assertTrue(devinfo, devinfo.contains("(no driver) hca0"));
        String failure = failure("ib:write_bw hca0 1 hca1 1");
        assertTrue(failure, failure.startsWith("ib:write_bw: HCA hca0 exists but has no driver ("));
        assertTrue(failure, failure.endsWith("its driver bundle is stopped or being replaced, or no driver supports it"));
        assertNothingIn("hca1");
    }

    @Test
    public void stoppingTheDriverBundleDuringWriteBandwidthEndsItWithOneLine() throws Exception {
        Map<String, ResourceUsage> before1 = started("hca1").statistics().resources();
        Running run = Running.start(session, "ib:write_bw hca0 1 hca1 1 -s 4096 -n 1000000");
        awaitQpsInUse();
        tavorBundle().stop();
        String failure = run.failure();
        assertTrue(failure, failure.matches("ib:write_bw: the driver of hca0 \\(TavorHca\\) went away during the run,"
                + " (after \\d+ of 1000000 iterations|during set-up); the PD, MR, CQs and QP it made on hca1 were"
                + " released, and those on hca0 went with its device"));
        assertEquals(before1, started("hca1").statistics().resources());
        tavorBundle().start();
        assertNothingIn("hca0");
    }

    @Test
    public void interruptingTheCommandsJobReleasesWhatItMade() throws Exception {
        Map<String, ResourceUsage> before0 = started("hca0").statistics().resources();
        Map<String, ResourceUsage> before1 = started("hca1").statistics().resources();
        Running run = Running.start(session, "ib:send_lat hca1 1 hca0 1 -n 1000000");
        awaitQpsInUse();
        Job job = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        while (job == null && System.nanoTime() < deadline) {
            job = session.jobs().stream().filter(j -> j.command().toString().contains("send_lat")).findFirst()
                    .orElse(null);
        }
        assertNotNull("the command runs as a job of the session", job);
        job.interrupt(); // what gogo.jline does on Ctrl-C
        // the job's controller stops waiting at once and cancels the command's pipe, whose thread is
        // interrupted; the shell gets Gogo's InterruptedException, not the command's failure (the
        // command shows that on a terminal), and the command releases what it made on its own thread
        assertEquals("java.lang.InterruptedException", run.failure());
        long deadline2 = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        while (!(before0.equals(started("hca0").statistics().resources())
                && before1.equals(started("hca1").statistics().resources())) && System.nanoTime() < deadline2) {
            Thread.sleep(10);
        }
        assertEquals(before0, started("hca0").statistics().resources());
        assertEquals(before1, started("hca1").statistics().resources());
    }

    /** Waits until a test's QPs exist on both HCAs: its set-up is under way. */
    private void awaitQpsInUse() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        while (System.nanoTime() < deadline) {
            if (qpsInUse("hca0") > 0 && qpsInUse("hca1") > 0) {
                return;
            }
            Thread.sleep(1);
        }
        throw new AssertionError("the test made no QPs within " + SECONDS + " s");
    }

    private int qpsInUse(String name) {
        HcaDevice hca = hca(name);
        return hca == null ? 0 : hca.statistics().resources().get("QP").inUse();
    }

    private void assertNothingIn(String name) throws Exception {
        HcaDevice hca = started(name);
        assertTrue(name + ": " + hca.statistics().resources(),
                hca.statistics().resources().values().stream().allMatch(u -> u.inUse() == 0));
    }

    private HcaDevice hca(String name) {
        for (DeviceObject d : io.devices()) {
            if (d.extension() instanceof HcaDevice hca && hca.name().equals(name)
                    && hca.state() == HcaDevice.State.STARTED) {
                return hca;
            }
        }
        return null;
    }

    /** The started HCA {@code name}, waiting for PnP to bring it up. */
    private HcaDevice started(String name) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        do {
            io.pnpIdle().getValue();
            HcaDevice hca = hca(name);
            if (hca != null) {
                return hca;
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(name + " did not start within " + SECONDS + " s");
    }

    private Bundle tavorBundle() {
        for (Bundle b : context.getBundles()) {
            if (b.getSymbolicName().equals("hca-tavor-bundle")) {
                return b;
            }
        }
        throw new AssertionError("no hca-tavor-bundle");
    }

    /** A command executed on its own thread, as the shell's reader thread runs it. */
    private static final class Running {
        final Thread thread;
        final AtomicReference<String> failure = new AtomicReference<>();

        private Running(CommandSession session, String command) {
            thread = new Thread(() -> {
                try {
                    session.execute(command);
                    failure.set("succeeded");
                } catch (Exception e) {
                    failure.set(e.toString());
                }
            }, "gogo command");
        }

        static Running start(CommandSession session, String command) {
            Running run = new Running(session, command);
            run.thread.start();
            return run;
        }

        /** The failure as Gogo prints it, once the command ended. */
        String failure() throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(SECONDS));
            assertFalse("the command ended within " + SECONDS + " s", thread.isAlive());
            return failure.get();
        }
    }
}
