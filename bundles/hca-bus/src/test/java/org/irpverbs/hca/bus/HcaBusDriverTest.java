package org.irpverbs.hca.bus;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverRegistration;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.SoftHcaHardware;
import org.irpverbs.softhca.fabric.InProcessFabric;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The bus on its own (no HCA driver): what it enumerates, when, and what its physical devices
 * offer. Stacks on top are the driver bundles' tests.
 */
public class HcaBusDriverTest {
    private IoManager io;
    private InProcessFabric fabric;
    private HcaBusDriver bus;

    /** What the bus logged as bad or clashing configurations, in order. */
    private final List<String> problems = new CopyOnWriteArrayList<>();

    @Before
    public void setUp() {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
        DriverVerifier.reset();
        io = IoManagers.create("bus-test", 2, null);
        fabric = new InProcessFabric("bus-fabric");
        bus = new HcaBusDriver(fabric, true, problems::add);
    }

    @After
    public void tearDown() throws Exception {
        IoManagers.removeDriver(io, bus).getValue();
        IoManagers.shutdown(io);
        fabric.close();
    }

    /**
     * Waits for PnP, twice: a replaced device's successor comes in an enumeration the bus queues
     * from the one that removed its predecessor, behind the first wait.
     */
    private void idle() throws Exception {
        io.pnpIdle().getValue();
        io.pnpIdle().getValue();
        // the problems an enumeration found are logged on the system worker: wait for it too
        CountDownLatch logged = new CountDownLatch(1);
        io.queueWorkItem(logged::countDown);
        assertTrue("system worker", logged.await(30, TimeUnit.SECONDS));
    }

    private void start() throws Exception {
        IoManagers.addDriver(io, bus, DriverRegistration.rootDriver());
        idle();
    }

    private List<String> children() {
        return io.devices().stream().filter(d -> d.extension() instanceof HcaHardwareDevice).map(DeviceObject::name)
                .sorted().toList();
    }

    private static Hashtable<String, Object> hca(String name, String model, String lids) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("name", name);
        p.put("model", model);
        p.put("portLids", lids);
        return p;
    }

    private void assertClean() {
        assertEquals("blocking at DISPATCH: " + BlockingDetector.recentViolations(), 0, BlockingDetector.violationCount());
        assertEquals("driver bugs: " + DriverVerifier.recentBugs(), 0, DriverVerifier.bugCount());
    }

    @Test
    public void withoutAnyConfigurationTheBusHasTheTwoDefaultHcas() throws Exception {
        start();
        assertEquals(List.of("hca0", "hca1"), children());
        DeviceObject hca0 = io.device("hca0");
        assertEquals(HcaModel.MT23108.hardwareIds(), hca0.hardwareIds());
        assertEquals(HcaModel.MT25208.hardwareIds(), io.device("hca1").hardwareIds());
        HcaHardwareDevice hw = hca0.extension(HcaHardwareDevice.class);
        assertEquals(List.of(1, 2), hw.config().portLids());
        assertEquals(List.of(3, 4), io.device("hca1").extension(HcaHardwareDevice.class).config().portLids());
        SoftHcaHardware offered = io.queryInterface(hca0, SoftHcaHardware.class).getValue();
        assertSame(hw.hardware(), offered);
        assertNull("no driver", hca0.attachedDevice());
        assertClean();
    }

    @Test
    public void configurationsReplaceTheDefaultsAndComeAndGo() throws Exception {
        bus.updated("pid-a", hca("alpha", "MT25204", "7"));
        start();
        assertEquals(List.of("alpha"), children());
        bus.updated("pid-b", hca("beta", "MT23108", "8,9"));
        idle();
        assertEquals(List.of("alpha", "beta"), children());
        HcaHardwareDevice beta = io.device("beta").extension(HcaHardwareDevice.class);
        // a changed configuration replaces the device (and its hardware): the old one goes first
        Hashtable<String, Object> changed = hca("beta", "MT23108", "8,10");
        bus.updated("pid-b", changed);
        idle();
        HcaHardwareDevice newBeta = io.device("beta").extension(HcaHardwareDevice.class);
        assertNotSame(beta.hardware(), newBeta.hardware());
        assertEquals(List.of(8, 10), newBeta.config().portLids());
        assertFalse(beta.present());
        // deleted: gone; the last one deleted: the defaults again
        bus.deleted("pid-a");
        idle();
        assertEquals(List.of("beta"), children());
        bus.deleted("pid-b");
        idle();
        assertEquals(List.of("hca0", "hca1"), children());
        assertClean();
    }

    @Test
    public void aBadOrClashingConfigurationMakesNoDevice() throws Exception {
        bus.updated("pid-good", hca("good", "MT25208", "5,6"));
        start();
        Hashtable<String, Object> bad = hca("bad", "MT25208", "11,12");
        bad.put("mtu", "1500");
        bus.updated("pid-bad", bad);
        bus.updated("pid-clash", hca("clash", "MT23108", "6,13"));
        idle();
        assertEquals(List.of("good"), children());
        assertEquals(List.of("pid-clash", "pid-good"), bus.configurations().keySet().stream().sorted().toList());
        // an update that breaks a good configuration takes its device away
        Hashtable<String, Object> broken = hca("good", "MT25208", "5,6");
        broken.put("ports", "7");
        bus.updated("pid-good", broken);
        idle();
        assertEquals("the clash is gone with it", List.of("clash"), children());
        assertClean();
    }

    @Test
    public void theBusGoingUnplugsItsHardware() throws Exception {
        start();
        HcaHardwareDevice hca0 = io.device("hca0").extension(HcaHardwareDevice.class);
        IoManagers.removeDriver(io, bus).getValue();
        idle();
        assertEquals(List.of(), children());
        assertFalse(hca0.present());
        assertNotNull(hca0.toString());
        IoManagers.addDriver(io, bus, DriverRegistration.rootDriver());
        idle();
        assertEquals("a new bus enumerates again", List.of("hca0", "hca1"), children());
        assertTrue(io.device("hca0").extension(HcaHardwareDevice.class).present());
        assertClean();
    }

    /**
     * Issue 10 §4.10: a duplicate configuration was logged again on every re-enumeration (19 times),
     * even after its file was deleted.
     */
    @Test
    public void aClashingConfigurationIsLoggedOnceHoweverOftenTheBusReenumerates() throws Exception {
        bus.updated("pid-a", hca("alpha", "MT25204", "7"));
        bus.updated("pid-dup", hca("alpha", "MT25204", "8"));
        start();
        assertEquals(List.of("alpha"), children());
        for (int i = 0; i < 5; i++) {
            // other configurations coming and going re-enumerate the bus each time
            bus.updated("pid-other", hca("other" + i, "MT25204", String.valueOf(20 + i)));
            idle();
        }
        assertEquals(problems.toString(), 1, problems.size());
        assertTrue(problems.get(0), problems.get(0).contains("pid-dup (alpha) is ignored: another configuration has its name alpha"));
        // deleted: not logged again, and nothing more about it
        bus.deleted("pid-dup");
        idle();
        bus.updated("pid-other", hca("other-last", "MT25204", "30"));
        idle();
        assertEquals(problems.toString(), 1, problems.size());
        // a bad value is logged once too, with what is wrong and where it came from
        Hashtable<String, Object> bad = hca("beta", "MT25204", "9");
        bad.put("portLid", "62");
        bad.put("felix.fileinstall.filename", "file:/irpverbs/load/org.irpverbs.hca.hardware-beta.cfg");
        bus.updated("pid-bad", bad);
        idle();
        bus.updated("pid-other", hca("other-again", "MT25204", "31"));
        idle();
        assertEquals(problems.toString(), 2, problems.size());
        assertTrue(problems.get(1), problems.get(1).startsWith("configuration pid-bad (beta) from file:/irpverbs/load/"
                + "org.irpverbs.hca.hardware-beta.cfg describes no soft HCA: unknown property portLid (did you mean portLids?)"));
        assertEquals(List.of("alpha", "other-again"), children());
        assertClean();
    }

    /** Issue 10 §4.1: in the distribution the defaults are configurations; nothing configured means no HCA. */
    @Test
    public void withDefaultsOffTheBusHasExactlyWhatIsConfigured() throws Exception {
        IoManagers.removeDriver(io, bus).getValue();
        bus = new HcaBusDriver(fabric, false, problems::add);
        start();
        assertEquals(List.of(), children());
        bus.updated("pid-hca0", hca("hca0", "MT23108", "1,2"));
        bus.updated("pid-hca2", hca("hca2", "MT25204", "7"));
        idle();
        assertEquals(List.of("hca0", "hca2"), children());
        assertEquals("the same GUID as the built-in default", 0x0002C90300001000L,
                io.device("hca0").extension(HcaHardwareDevice.class).config().nodeGuid());
        bus.deleted("pid-hca0");
        bus.deleted("pid-hca2");
        idle();
        assertEquals(List.of(), children());
        assertClean();
    }

    /** A broken configuration alone does not bring the defaults back: the user meant an HCA of their own. */
    @Test
    public void aBadConfigurationAloneDoesNotBringTheDefaults() throws Exception {
        Hashtable<String, Object> bad = hca("hca2", "MT25204", "7");
        bad.put("ports", "3");
        bus.updated("pid-bad", bad);
        start();
        assertEquals(List.of(), children());
        assertEquals(problems.toString(), 1, problems.size());
        bus.deleted("pid-bad");
        idle();
        assertEquals(List.of("hca0", "hca1"), children());
        assertClean();
    }
}
