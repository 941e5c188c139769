package org.irpverbs.ibal.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.ibal.IbalCa;
import org.irpverbs.ibal.IbalChild;
import org.irpverbs.ibal.IbalIds;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.DriverRegistration;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpHandler;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.verbs.VerbsInterface;
import org.irpverbs.verbs.VerbsSpeedPath;
import org.junit.After;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.Test;

/** IBAL binds to every HCA's versioned verbs interface, in any arrival order, and lets HCAs go. */
@RunWith(Parameterized.class)
public class BindingTest {
    /** Queued, and legacy (IBAL's worker threads, the HCAs' command interfaces blocking). */
    @Parameterized.Parameters(name = "{0}")
    public static java.util.List<Object[]> modes() {
        return IbalRig.modes();
    }

    private final IbalRig rig;

    public BindingTest(IbalMode mode) {
        this.rig = new IbalRig(mode).withTavorAndMemFree();
    }

    @After
    public void tearDown() {
        rig.close();
    }

    @Test
    public void ibalStartedAfterTheHcasBindsBothAndReportsAChildPerActivePort() {
        rig.twoHcas().startBus().startIbal();
        assertBothBound();
        rig.assertClean();
    }

    @Test
    public void ibalStartedBeforeTheHcasBindsThemAsTheyCome() {
        rig.startIbal();
        rig.hcas.hca("hca0", HcaModel.MT23108, 1, 2);
        assertEquals(List.of(), rig.core().cas());
        rig.startBus();
        rig.settle();
        rig.assertChildren(2);
        rig.hcas.hca("hca1", HcaModel.MT25208, 3, 4);
        rig.settle();
        assertBothBound();
        rig.assertClean();
    }

    private void assertBothBound() {
        List<IbalCa> cas = rig.core().cas();
        assertEquals("CAs: " + cas, 2, cas.size());
        for (IbalCa ca : cas) {
            assertEquals(ca.toString(), IbalCa.State.BOUND, ca.state());
            assertEquals(VerbsInterface.CURRENT, ca.interfaceVersion());
            assertEquals(2, ca.attributes().physicalPorts());
            assertEquals(2, ca.ports().size());
            assertSame(rig.hcas.speedPath(ca.name()), ca.speedPath());
        }
        rig.assertChildren(4);
        for (String name : List.of("hca0", "hca1")) {
            for (int port = 1; port <= 2; port++) {
                IbalChild child = rig.child(name, port);
                assertNotNull(name + " port " + port + " has no child: " + rig.children(), child);
                long guid = rig.hcas.hardware(name).config().portGuid(port);
                assertEquals(guid, child.portGuid());
                assertEquals(IbalIds.portInstanceId(guid), child.instanceId());
                assertEquals(List.of(IbalIds.PORT_HARDWARE_ID), child.device().hardwareIds());
                assertEquals(DeviceObject.Kind.PHYSICAL, child.device().kind());
                assertTrue(rig.hcas.io.busRelations().get(rig.core().device()).contains(child.device()));
            }
        }
    }

    @Test
    public void anHcaLeavingTakesItsChildrenAndTheOtherIsStillServed() {
        rig.twoHcas().startBus().startIbal();
        DeviceObject hca0Port1 = rig.child("hca0", 1).device();
        rig.hcas.unplug("hca0");
        rig.settle();
        assertEquals(1, rig.core().cas().size());
        assertEquals("hca1", rig.core().cas().get(0).name());
        rig.assertChildren(2);
        assertNull(rig.child("hca0", 1));
        assertEquals(org.irpverbs.irp.PnpState.DELETED, hca0Port1.pnpState());
        // and it comes back
        rig.hcas.hca("hca0", HcaModel.MT23108, 1, 2);
        rig.settle();
        rig.assertChildren(4);
        rig.assertClean();
    }

    @Test
    public void anHcaDriverLeavingIsItsFunctionDeviceLeavingAndTheNextDriversArriving() {
        rig.twoHcas().startBus().startIbal();
        DeviceObject memFreeDevice = rig.ca("hca1").hcaDevice();
        DeviceObject oldChild = rig.child("hca1", 1).device();
        // without the mem-free driver, hca1 (MT25208) runs in Tavor-compatibility mode: a new
        // function device, which IBAL binds as a new CA
        rig.hcas.removeDriver(rig.memFree);
        rig.settle();
        IbalCa hca1 = rig.ca("hca1");
        assertEquals(IbalCa.State.BOUND, hca1.state());
        assertTrue(hca1.hcaDevice() != memFreeDevice);
        assertEquals(org.irpverbs.hca.tavor.TavorDriver.DRIVER_NAME, hca1.hcaDevice().driver().name());
        assertEquals(org.irpverbs.irp.PnpState.DELETED, oldChild.pnpState());
        rig.assertChildren(4);
        rig.assertClean();
    }

    @Test
    public void anUnsupportedInterfaceVersionIsRefusedAndTheOtherHcasAreServed() {
        FakeHcaDriver future = new FakeHcaDriver("FutureHca", 2 << 16);
        FakeHcaDriver none = new FakeHcaDriver("NoVerbsHca", -1);
        rig.twoHcas().startBus();
        IoManagers.addDriver(rig.hcas.io, future, DriverRegistration.rootDriver());
        IoManagers.addDriver(rig.hcas.io, none, DriverRegistration.rootDriver());
        rig.startIbal();
        assertEquals(4, rig.core().cas().size());
        IbalCa refused = caOn(future.device);
        assertEquals(IbalCa.State.REFUSED, refused.state());
        assertEquals(NtStatus.name(NtStatus.REVISION_MISMATCH), NtStatus.name(refused.problemStatus()));
        assertTrue(refused.problem(), refused.problem().contains("verbs interface version 2.0; IBAL supports 1.x"));
        assertTrue(refused.children().isEmpty());
        IbalCa noVerbs = caOn(none.device);
        assertEquals(IbalCa.State.REFUSED, noVerbs.state());
        assertEquals(NtStatus.name(NtStatus.NOT_SUPPORTED), NtStatus.name(noVerbs.problemStatus()));
        assertTrue(noVerbs.problem(), noVerbs.problem().contains("offers no verbs interface"));
        assertEquals(IbalCa.State.BOUND, rig.ca("hca0").state());
        assertEquals(IbalCa.State.BOUND, rig.ca("hca1").state());
        rig.assertChildren(4);
        HcaTestRig.await(IoManagers.removeDriver(rig.hcas.io, future), "removing the future HCA");
        rig.settle();
        assertEquals(3, rig.core().cas().size());
        rig.assertClean();
    }

    @Test
    public void ibalLeavingRemovesItsChildrenAndLeavesTheHcasRunning() {
        rig.twoHcas().startBus().startIbal();
        List<IbalChild> children = rig.children();
        rig.stopIbal();
        rig.assertChildren(0);
        for (IbalChild c : children) {
            assertEquals(org.irpverbs.irp.PnpState.DELETED, c.device().pnpState());
        }
        assertEquals(org.irpverbs.hca.core.HcaDevice.State.STARTED, rig.hcas.hcaDevice("hca0").state());
        // a new IBAL (an updated bundle) binds again
        rig.startIbal();
        rig.assertChildren(4);
        rig.assertClean();
    }

    private IbalCa caOn(DeviceObject hca) {
        for (IbalCa ca : rig.core().cas()) {
            if (ca.hcaDevice() == hca) {
                return ca;
            }
        }
        throw new AssertionError("no CA on " + hca.name() + ": " + rig.core().cas());
    }

    /**
     * A root-enumerated "HCA" whose function device offers the HCA interface but a verbs interface
     * of another version ({@code version} &lt; 0: none at all), as an HCA driver of another
     * generation would.
     */
    static final class FakeHcaDriver implements Driver {
        private final DriverObject object;
        volatile DeviceObject device;

        FakeHcaDriver(String name, int version) {
            this.object = DriverObject.builder(name).pnp(new PnpHandler() {
                @Override
                public Object queryInterface(DeviceObject d, Class<?> type) {
                    if (type != VerbsInterface.class || version < 0) {
                        return null;
                    }
                    return new VerbsInterface() {
                        @Override
                        public int version() {
                            return version;
                        }

                        @Override
                        public String name() {
                            return name;
                        }

                        @Override
                        public DeviceObject device() {
                            return d;
                        }

                        @Override
                        public VerbsSpeedPath speedPath() {
                            return null;
                        }
                    };
                }
            }).build();
        }

        @Override
        public DriverObject driverObject() {
            return object;
        }

        @Override
        public DeviceObject addDevice(IoManager io, DeviceObject physicalDevice) {
            DeviceObject fdo = io.createDevice(object, object.name() + "#", DeviceObject.Kind.FUNCTION, null);
            io.attach(fdo, physicalDevice);
            fdo.registerInterface(VerbsInterface.DEVICE_INTERFACE);
            device = fdo;
            return fdo;
        }
    }
}
