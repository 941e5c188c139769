package org.irpverbs.ibal.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;

import org.irpverbs.ibal.IbalCa;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.PnpState;
import org.irpverbs.verbs.PortState;
import org.junit.After;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.Test;

/** Port children follow port state, which reaches IBAL as its GET_ASYNC_EVENT request completing. */
@RunWith(Parameterized.class)
public class PortChildrenTest {
    /** Queued, and legacy (IBAL's worker threads, the HCAs' command interfaces blocking). */
    @Parameterized.Parameters(name = "{0}")
    public static java.util.List<Object[]> modes() {
        return IbalRig.modes();
    }

    private final IbalRig rig;

    public PortChildrenTest(IbalMode mode) {
        this.rig = new IbalRig(mode).withTavorAndMemFree();
    }

    @After
    public void tearDown() {
        rig.close();
    }

    @Test
    public void aPortGoingDownTakesItsChildAndComingUpBringsANewOne() {
        rig.twoHcas().startBus().startIbal();
        DeviceObject before = rig.child("hca1", 2).device();
        rig.hcas.hardware("hca1").fabricPort(2).setLinkUp(false);
        IbalRig.eventually(() -> rig.child("hca1", 2) == null, "hca1 port 2's child going");
        rig.settle();
        assertEquals(PnpState.DELETED, before.pnpState());
        assertEquals(PortState.DOWN, rig.ca("hca1").ports().get(1).state());
        rig.assertChildren(3);
        assertNotNull(rig.child("hca1", 1));
        rig.hcas.hardware("hca1").fabricPort(2).setLinkUp(true);
        IbalRig.eventually(() -> rig.child("hca1", 2) != null, "hca1 port 2's child coming back");
        rig.settle();
        assertNotSame(before, rig.child("hca1", 2).device());
        rig.assertChildren(4);
        rig.assertClean();
    }

    @Test
    public void aPortDownWhenIbalBindsHasNoChildUntilItComesUp() {
        rig.twoHcas().startBus();
        rig.hcas.hardware("hca0").fabricPort(1).setLinkUp(false);
        IbalRig.eventually(() -> rig.hcas.hardware("hca0").fabricPort(1) != null
                && !rig.hcas.hardware("hca0").fabricPort(1).isLinkUp(), "the link going down");
        rig.startIbal();
        IbalRig.eventually(() -> rig.ca("hca0").ports().get(0).state() == PortState.DOWN, "IBAL seeing port 1 down");
        rig.settle();
        assertNull(rig.child("hca0", 1));
        rig.assertChildren(3);
        rig.hcas.hardware("hca0").fabricPort(1).setLinkUp(true);
        IbalRig.eventually(() -> rig.child("hca0", 1) != null, "hca0 port 1's child");
        rig.settle();
        rig.assertChildren(4);
        rig.assertClean();
    }

    @Test
    public void aFailingHcaSurpriseRemovesItsChildren() {
        rig.twoHcas().startBus().startIbal();
        DeviceObject child = rig.child("hca0", 1).device();
        rig.hcas.hardware("hca0").injectCatastrophicError();
        IbalRig.eventually(() -> rig.children().size() == 2, "hca0's children going");
        rig.settle();
        assertEquals(PnpState.DELETED, child.pnpState());
        assertEquals(1, rig.core().cas().size());
        assertEquals(IbalCa.State.BOUND, rig.ca("hca1").state());
        rig.assertClean();
    }
}
