package org.irpverbs.ibal.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.ibal.IbalChild;
import org.irpverbs.ibal.IbalIds;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.PnpState;
import org.irpverbs.softhca.HcaModel;
import org.junit.After;
import org.junit.Test;

/**
 * A ULP driver of the port children leaves and comes back while the HCAs come and go: every time
 * it is there it has a device on each port child and working verbs; every time it leaves, IBAL
 * destroys what it made; every HCA that leaves takes its children and the ULP devices on them,
 * and the other HCA's clients never notice. At the end nothing is left.
 */
public class UlpComesAndGoesTest {
    private final IbalRig rig = new IbalRig().withTavorAndMemFree();
    private final TestUlpDriver ulp = new TestUlpDriver("ComingGoingUlp");

    @After
    public void tearDown() {
        rig.close();
    }

    private void ulpArrives() {
        rig.hcas.addDriver(ulp, 1, IbalIds.PORT_HARDWARE_ID);
        rig.settle();
    }

    private void ulpLeaves() {
        rig.hcas.removeDriver(ulp);
        rig.settle();
        ArrivalOrderTest.assertNoUlpDevice(ulp);
        assertTrue("client trees left: " + rig.core().objects(), rig.core().objects().isEmpty());
    }

    private void assertNoClientObjects(String ca) {
        for (String r : List.of("QP", "CQ", "PD")) {
            assertEquals(ca + " " + r, 0, rig.clientsInUse(ca, r));
        }
    }

    @Test
    public void theUlpLeavingAndComingBackWhileHcasComeAndGoEndsOnEveryChildEveryTime() {
        rig.twoHcas().startBus().startIbal();
        ulpArrives();
        rig.assertChildren(4);
        ArrivalOrderTest.assertUlpOnEveryPortChildWithWorkingVerbs(rig, ulp, List.of("hca0", "hca1"));

        // hca0 leaves while the ULP holds objects on it: its children and their ULP devices go
        List<DeviceObject> hca0Devices = List.of(ulp.on(rig.child("hca0", 1).device()), ulp.on(rig.child("hca0", 2).device()));
        rig.hcas.unplug("hca0");
        rig.settle();
        for (DeviceObject d : hca0Devices) {
            assertEquals(d.name(), PnpState.DELETED, d.pnpState());
        }
        rig.assertChildren(2);
        // hca1's ULP devices stayed and their objects with them; they still take verbs
        assertEquals(2, rig.clientsInUse("hca1", "QP"));
        ArrivalOrderTest.assertUlpOnEveryPortChildWithWorkingVerbs(rig, ulp, List.of("hca1"));

        // the ULP leaves: what it made on hca1 is destroyed
        ulpLeaves();
        assertNoClientObjects("hca1");

        // hca0 comes back while the ULP is away: children without a driver on them
        rig.hcas.hca("hca0", HcaModel.MT23108, 1, 2);
        rig.settle();
        rig.assertChildren(4);
        for (IbalChild c : rig.children()) {
            assertEquals(c.device().name(), null, c.device().attachedDevice());
        }

        // the ULP comes back: on all four
        ulpArrives();
        ArrivalOrderTest.assertUlpOnEveryPortChildWithWorkingVerbs(rig, ulp, List.of("hca0", "hca1"));

        // hca1 leaves and comes back while the ULP stays: it is on the new children too
        rig.hcas.unplug("hca1");
        rig.settle();
        rig.assertChildren(2);
        assertEquals(2, rig.clientsInUse("hca0", "QP"));
        rig.hcas.hca("hca1", HcaModel.MT25208, 3, 4);
        rig.settle();
        rig.assertChildren(4);
        assertEquals("hca1 came back empty", 0, rig.clientsInUse("hca1", "QP"));
        ArrivalOrderTest.assertUlpOnEveryPortChildWithWorkingVerbs(rig, ulp, List.of("hca1"));

        // everything leaves: the ULP, IBAL, the HCAs
        ulpLeaves();
        assertNoClientObjects("hca0");
        assertNoClientObjects("hca1");
        rig.stopIbal();
        rig.assertChildren(0);
        for (String ca : List.of("hca0", "hca1")) {
            for (String r : List.of("QP", "CQ", "PD", "MR")) {
                assertEquals(ca + " " + r + " with IBAL gone", 0,
                        rig.hcas.hcaDevice(ca).statistics().resources().get(r).inUse());
            }
        }
        HcaTestRig.await(IoManagers.removeDriver(rig.hcas.io, rig.hcas.bus), "removing the hca bus");
        for (DeviceObject d : rig.hcas.io.devices()) {
            assertEquals("left behind: " + d, PnpState.DELETED, d.pnpState());
        }
        rig.assertClean();
    }
}
