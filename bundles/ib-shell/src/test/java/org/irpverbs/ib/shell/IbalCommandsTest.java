package org.irpverbs.ib.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.irpverbs.irp.CodePreloader;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.hca.memfree.MemFreeDriver;
import org.irpverbs.hca.tavor.TavorDriver;
import org.irpverbs.ibal.IbalIds;
import org.irpverbs.ibal.internal.IbalBusDriver;
import org.irpverbs.ibal.internal.IbalCore;
import org.irpverbs.irp.DeviceInterfaceListener;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DispatchRoutine;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.DriverRegistration;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsInterface;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** ib:devices, ib:stat and ib:objects over the real stacks with IBAL bound and a port driver on each child. */
public class IbalCommandsTest {
    private IbalCore core;
    private HcaTestRig rig;
    private IbalCommands commands;

    /** A port driver that passes every verb down to IBAL's child. */
    private static final class PortDriver implements Driver {
        private final DriverObject object = DriverObject.builder("ShellTestUlp")
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, DispatchRoutine.PASS_DOWN).build();


        @Override
        public DriverObject driverObject() {
            return object;
        }

        @Override
        public DeviceObject addDevice(IoManager io, DeviceObject pdo) {
            DeviceObject fdo = io.createDevice(object, "ulp-" + pdo.name() + "#", DeviceObject.Kind.FUNCTION, null);
            io.attach(fdo, pdo);
            return fdo;
        }
    }

    @Before
    public void setUp() {
        // IBAL's code (and the promise code its MAD service chains at DISPATCH) is loaded at
        // PASSIVE first, as the OSGi I/O manager loads a driver bundle's (see CodePreloader)
        CodePreloader.preload(IbalCore.class, org.irpverbs.ibal.Ibal.class, org.osgi.util.promise.Promise.class,
                TavorDriver.class, MemFreeDriver.class);
        rig = new HcaTestRig(new DeviceInterfaceListener() {
            @Override
            public void interfaceEnabled(DeviceObject device, String name) {
                if (VerbsInterface.DEVICE_INTERFACE.equals(name)) {
                    core.hcaArrived(device);
                }
            }

            @Override
            public void interfaceDisabled(DeviceObject device, String name) {
                if (VerbsInterface.DEVICE_INTERFACE.equals(name)) {
                    core.hcaLeft(device);
                }
            }
        });
        IbalBusDriver ibal = new IbalBusDriver(rig.io, IbalCore.Lifecycle.NONE);
        core = ibal.core();
        IoManagers.addDriver(rig.io, ibal, DriverRegistration.rootDriver());
        rig.hca("hca0", HcaModel.MT23108, 1, 2).hca("hca1", HcaModel.MT25208, 3, 4);
        rig.addDriver(new TavorDriver(), TavorDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID);
        rig.addDriver(new MemFreeDriver(), MemFreeDriver.RANKING, HcaModel.MEMFREE_CAPABLE_ID);
        rig.addDriver(new PortDriver(), 1, IbalIds.PORT_HARDWARE_ID);
        rig.startBus();
        settle();
        commands = new IbalCommands(rig.io, core);
    }

    /** The interface work items, IBAL's queue and PnP, a few rounds (each can queue work for the others). */
    private void settle() {
        for (int i = 0; i < 3; i++) {
            CountDownLatch worker = new CountDownLatch(1);
            rig.io.queueWorkItem(worker::countDown);
            try {
                assertTrue(worker.await(30, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            try {
                core.idle().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("IBAL's queue did not drain: " + e, e);
            }
            rig.idle();
        }
    }

    @After
    public void tearDown() {
        rig.close();
    }

    @Test
    public void devicesShowsIbalOnBothHcasWithAChildPerPortAndTheDevicesOnThem() {
        String out = commands.devices();
        assertTrue(out, out.startsWith("IBAL: ibal0 (Ibal, STARTED, in flight 0)"));
        assertTrue(out, out.contains("2 CA(s), 0 registered client(s)"));
        for (String hca : new String[] {"hca0", "hca1"}) {
            assertTrue(out, out.contains("\n" + hca + "\n  stack (top first):\n"));
            for (int port = 1; port <= 2; port++) {
                String child = hca + "-port" + port + "-ipoib0";
                assertTrue(out, out.contains("port " + port + "  ACTIVE IBA\\IPoIB\\"
                        + IbalIds.portInstanceId(rig.hardware(hca).config().portGuid(port))));
                assertTrue(out, out.contains(child));
                assertTrue(out, out.contains("└─ ulp-" + child));
            }
        }
        assertTrue(out, out.contains("IBAL: BOUND, verbs interface 1.0"));
        assertTrue(out, out.contains("TavorHca"));
        assertTrue(out, out.contains("MemFreeHca"));
        assertTrue(out, out.contains("in flight"));
        String one = commands.devices("-d", "hca1");
        assertTrue(one, one.contains("hca1-port2-ipoib0") && !one.contains("hca0-port1"));
        rig.assertClean();
    }

    @Test
    public void statListsEveryPortAsIbstatDoes() {
        String out = commands.stat();
        assertEquals(out, 4, out.split("\tPort \\d:").length - 1);
        assertTrue(out, out.contains("CA 'hca0'\n\tCA type: MT23108"));
        assertTrue(out, out.contains("\t\tState: Active\n\t\tPhysical state: LinkUp\n\t\tRate: 10\n\t\tBase lid: 3\n"));
        assertTrue(out, out.contains(String.format("\t\tPort GUID: 0x%016x", rig.hardware("hca1").config().portGuid(2))));
        assertTrue(out, out.contains("\t\tCapability mask: 0x00000800"));
        String port = commands.stat("-d", "hca0", "-p", "2");
        assertEquals(port, 1, port.split("\tPort \\d:").length - 1);
        rig.assertClean();
    }

    @Test
    public void objectsShowsEachClientsTreeWithReferenceCounts() {
        DeviceObject ulp = rig.io.device("ulp-hca0-port1-ipoib00");
        Verbs verbs = new Verbs(rig.io, ulp);
        var pd = HcaTestRig.await(verbs.allocPd(), "ALLOC_PD");
        var cq = HcaTestRig.await(verbs.createCq(8), "CREATE_CQ");
        HcaTestRig.await(verbs.createQp(pd, QpType.UD, cq, cq, 1, 1, 1, 0, true), "CREATE_QP");
        String out = commands.objects();
        assertTrue(out, out.contains("ShellTestUlp on hca0-port1-ipoib0 on CA hca0: 3 objects\n  PD "
                + pd.number() + "  references 1\n    QP "));
        assertTrue(out, out.contains("  CQ " + cq.number() + "  references 2\n"));
        assertTrue(out, out.contains("ShellTestUlp on hca1-port2-ipoib0 on CA hca1: 0 objects"));
        rig.assertClean();
    }

    @Test
    public void badArgumentsGetOneLineAndHelpTheUsage() {
        assertTrue(commands.devices("-h").startsWith("usage: ib:devices"));
        assertTrue(commands.stat("--help").startsWith("usage: ib:stat"));
        assertTrue(commands.objects("-h").startsWith("usage: ib:objects"));
        expectFailure(() -> commands.devices("-x"), "ib:devices: unknown option -x");
        expectFailure(() -> commands.stat("-d", "hca9"), "ib:stat: no HCA named 'hca9'");
        expectFailure(() -> commands.stat("-p", "0"), "ib:stat: -p must be");
        expectFailure(() -> commands.stat("-d", "hca0", "-p", "3"), "ib:stat: -p must be 1..2 on hca0, was 3");
        expectFailure(() -> commands.objects("extra"), "ib:objects: takes no arguments");
        rig.assertClean();
    }

    @Test
    public void withoutIbalTheCommandsSaySo() {
        IbalCommands none = new IbalCommands(rig.io, null);
        assertTrue(none.devices(), none.devices().startsWith("IBAL: not running"));
        assertTrue(none.stat().contains("CA 'hca1'"));
        assertEquals("IBAL is not running: no object trees\n", none.objects());
        rig.assertClean();
    }

    private static void expectFailure(Runnable command, String start) {
        try {
            command.run();
            fail("expected a failure starting with " + start);
        } catch (CommandFailure e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith(start));
            assertTrue(e.getMessage(), !e.getMessage().contains("Exception"));
        }
    }
}
