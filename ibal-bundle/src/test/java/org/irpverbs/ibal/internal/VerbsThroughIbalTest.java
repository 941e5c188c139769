package org.irpverbs.ibal.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.ibal.IbalChild;
import org.irpverbs.ibal.IbalIds;
import org.irpverbs.ibal.IbalObjects;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoResult;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpState;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.AddressHandle;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.AsyncEventType;
import org.irpverbs.verbs.CaAttributes;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.MemoryRegion;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsIoctl;
import org.irpverbs.verbs.VerbsRequest;
import org.irpverbs.verbs.VerbsSpeedPath;
import org.junit.After;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.Before;
import org.junit.Test;
import org.osgi.util.promise.Promise;

/**
 * A ULP's verbs go down its own device to IBAL's port child and on to the HCA; IBAL keeps the
 * client's object tree, refuses to destroy a parent with children, and destroys everything the
 * client made when it goes (its driver leaves, its port or its HCA goes).
 */
@RunWith(Parameterized.class)
public class VerbsThroughIbalTest {
    private static final byte[] GROUP = {(byte) 0xFF, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    /** Queued, and legacy (IBAL's worker threads, the HCAs' command interfaces blocking). */
    @Parameterized.Parameters(name = "{0}")
    public static java.util.List<Object[]> modes() {
        return IbalRig.modes();
    }

    private final IbalRig rig;

    public VerbsThroughIbalTest(IbalMode mode) {
        this.rig = new IbalRig(mode).withTavorAndMemFree();
    }
    private final TestUlpDriver ulp = new TestUlpDriver("TestUlp");

    @Before
    public void setUp() {
        rig.twoHcas().startBus().startIbal();
        rig.hcas.addDriver(ulp, 1, IbalIds.PORT_HARDWARE_ID);
        rig.settle();
    }

    @After
    public void tearDown() {
        rig.close();
    }

    private DeviceObject ulpOn(String ca, int port) {
        return ulp.on(rig.child(ca, port).device());
    }

    private Verbs verbs(String ca, int port) {
        return new Verbs(rig.hcas.io, ulpOn(ca, port));
    }

    private int inUse(String ca, String resource) {
        return rig.clientsInUse(ca, resource);
    }

    private static IbalObjects objectsOf(IbalCore core, DeviceObject ulpDevice) {
        for (IbalObjects o : core.objects()) {
            if (o.client().startsWith(ulpDevice.driver().name() + " on " + ulpDevice.lowerDevice().name())) {
                return o;
            }
        }
        throw new AssertionError("no object tree for " + ulpDevice.name() + " in " + core.objects());
    }

    /** A PD with a UD QP (attached to a group), an MR and an AH, and one CQ for both queues. */
    private static final class Objects {
        ProtectionDomain pd;
        CompletionQueue cq;
        QueuePair qp;
        MemoryRegion mr;
        AddressHandle ah;
    }

    private static Objects make(Verbs v) {
        Objects o = new Objects();
        o.pd = HcaTestRig.await(v.allocPd(), "ALLOC_PD");
        o.cq = HcaTestRig.await(v.createCq(16), "CREATE_CQ");
        o.qp = HcaTestRig.await(v.createQp(o.pd, QpType.UD, o.cq, o.cq, 4, 4, 1, 0, true), "CREATE_QP");
        o.mr = HcaTestRig.await(v.regMr(o.pd, ByteBuffer.allocate(4096), 0x10000, AccessFlags.LOCAL_WRITE), "REG_MR");
        o.ah = HcaTestRig.await(v.createAh(o.pd, 1, 3, 0), "CREATE_AH");
        QpAttributes init = new QpAttributes().toState(QpState.INIT).set(QpAttributes.PKEY_INDEX)
                .set(QpAttributes.PORT).set(QpAttributes.QKEY);
        init.port = 1;
        init.qkey = 0x80010000;
        HcaTestRig.await(v.modifyQp(o.qp, init), "RESET->INIT");
        HcaTestRig.await(v.attachMulticast(o.qp, GROUP, 0xC001), "ATTACH_MCAST");
        return o;
    }

    private static IoStatusException refused(Promise<?> p, int status, String reason, String what) {
        IoStatusException e = HcaTestRig.failure(p, what);
        assertEquals(what, NtStatus.name(status), NtStatus.name(e.status()));
        assertTrue(what + ": " + e.getMessage(), e.getMessage().contains(reason));
        return e;
    }

    @Test
    public void verbsReachTheHcaAndTheTreeCountsReferences() {
        Verbs v = verbs("hca0", 1);
        CaAttributes ca = HcaTestRig.await(v.queryCa(), "QUERY_CA through IBAL");
        assertEquals(rig.hcas.hardware("hca0").config().nodeGuid(), ca.nodeGuid());
        Objects o = make(v);
        assertEquals(1, inUse("hca0", "QP"));
        IbalObjects tree = objectsOf(rig.core(), ulpOn("hca0", 1));
        assertEquals("hca0", tree.ca());
        assertEquals(2, tree.roots().size());
        IbalObjects.Node pd = tree.roots().get(0);
        IbalObjects.Node cq = tree.roots().get(1);
        assertEquals("PD", pd.type());
        assertEquals(3, pd.references()); // QP, MR, AH
        assertEquals("CQ", cq.type());
        assertEquals(2, cq.references()); // the QP's send and receive queue
        IbalObjects.Node qp = pd.children().get(0);
        assertEquals("QP", qp.type());
        assertEquals(o.qp.number(), qp.number());
        assertEquals(1, qp.references()); // the multicast attachment
        assertEquals("MCAST", qp.children().get(0).type());
        rig.assertClean();
    }

    @Test
    public void destroyingAParentWithChildrenIsRefusedWithTheReason() {
        Verbs v = verbs("hca0", 1);
        Objects o = make(v);
        refused(v.destroy(o.pd), NtStatus.DEVICE_BUSY, "PD " + o.pd.number() + " still has 3 object(s)", "DEALLOC_PD");
        IoStatusException cq = refused(v.destroy(o.cq), NtStatus.DEVICE_BUSY, "CQ " + o.cq.number(), "DESTROY_CQ");
        assertTrue(cq.getMessage(), cq.getMessage().contains("QP " + o.qp.number()));
        refused(v.destroy(o.qp), NtStatus.DEVICE_BUSY, "MCAST", "DESTROY_QP attached");
        assertEquals("nothing was destroyed", 1, inUse("hca0", "PD"));
        // children first, then it goes
        HcaTestRig.await(v.detachMulticast(o.qp, GROUP, 0xC001), "DETACH_MCAST");
        refused(v.detachMulticast(o.qp, GROUP, 0xC001), NtStatus.INVALID_PARAMETER, "is not attached", "DETACH twice");
        HcaTestRig.await(v.destroy(o.qp), "DESTROY_QP");
        HcaTestRig.await(v.destroy(o.mr), "DEREG_MR");
        HcaTestRig.await(v.destroy(o.ah), "DESTROY_AH");
        HcaTestRig.await(v.destroy(o.pd), "DEALLOC_PD");
        HcaTestRig.await(v.destroy(o.cq), "DESTROY_CQ");
        refused(v.destroy(o.cq), NtStatus.INVALID_HANDLE, "was not created by", "DESTROY_CQ twice");
        assertEquals(0, inUse("hca0", "PD"));
        assertEquals(0, inUse("hca0", "CQ"));
        assertTrue(objectsOf(rig.core(), ulpOn("hca0", 1)).roots().isEmpty());
        rig.assertClean();
    }

    @Test
    public void anotherClientsObjectsAreNotUsable() {
        Verbs mine = verbs("hca0", 1);
        Verbs other = verbs("hca0", 2);
        Objects o = make(mine);
        refused(other.destroy(o.ah), NtStatus.INVALID_HANDLE, "was not created by TestUlp on hca0-port2", "foreign destroy");
        refused(other.createQp(o.pd, QpType.UD, o.cq, o.cq, 1, 1, 1, 0, true), NtStatus.INVALID_HANDLE, "PD",
                "a QP in a foreign PD");
        refused(other.notifyCq(o.cq, false), NtStatus.INVALID_HANDLE, "CQ", "REQ_NOTIFY_CQ on a foreign CQ");
        // a handle the client made directly on the HCA, past IBAL, is not one of its objects either
        ProtectionDomain direct = HcaTestRig.await(rig.hcas.verbs("hca0").allocPd(), "ALLOC_PD on the HCA");
        refused(mine.createAh(direct, 1, 3, 0), NtStatus.INVALID_HANDLE, "PD " + direct.number(), "AH in a direct PD");
        assertEquals(2, inUse("hca0", "PD"));
        rig.assertClean();
    }

    @Test
    public void badRequestsGetTheirOwnStatus() {
        DeviceObject device = ulpOn("hca0", 1);
        IoResult wrongArgument = HcaTestRig.await(rig.hcas.io.internalDeviceControl(device, VerbsIoctl.ALLOC_PD,
                new VerbsRequest.QueryCa(), null, null), "ALLOC_PD with a QUERY_CA argument");
        assertEquals(NtStatus.name(NtStatus.INVALID_PARAMETER), NtStatus.name(wrongArgument.status()));
        IoResult noArgument = HcaTestRig.await(rig.hcas.io.internalDeviceControl(device, VerbsIoctl.ALLOC_PD, null,
                null, null), "ALLOC_PD without an argument");
        assertEquals(NtStatus.name(NtStatus.INVALID_PARAMETER), NtStatus.name(noArgument.status()));
        IoResult unknown = HcaTestRig.await(rig.hcas.io.internalDeviceControl(device, 0x12345678, null, null, null),
                "an unknown IOCTL");
        assertEquals(NtStatus.name(NtStatus.INVALID_DEVICE_REQUEST), NtStatus.name(unknown.status()));
        rig.assertClean();
    }

    @Test
    public void theSpeedPathIsTheHcasOwn() {
        VerbsSpeedPath speed = HcaTestRig.await(verbs("hca1", 2).speedPath(), "QUERY_INTERFACE on the ULP device");
        assertSame(rig.hcas.speedPath("hca1"), speed);
        IbalChild child = HcaTestRig.await(rig.hcas.io.queryInterface(ulpOn("hca1", 2), IbalChild.class),
                "QUERY_INTERFACE(IbalChild)");
        assertEquals(2, child.portNumber());
        assertEquals(rig.hcas.hardware("hca1").config().portGuid(2), child.portGuid());
        rig.assertClean();
    }

    @Test
    public void eventsReachTheUlpAsCompletedRequests() {
        Verbs v = verbs("hca1", 1);
        Promise<AsyncEvent> next = v.nextAsyncEvent();
        rig.hcas.hardware("hca1").fabricPort(2).setLinkUp(false);
        AsyncEvent event = HcaTestRig.await(next, "GET_ASYNC_EVENT through IBAL");
        assertEquals(AsyncEventType.PORT_DOWN, event.type());
        assertEquals(2, event.port());
        rig.assertClean();
    }

    @Test
    public void theClientsDriverLeavingDestroysEverythingItMadeChildrenFirst() {
        Objects o = make(verbs("hca0", 1));
        make(verbs("hca0", 2));
        Promise<Void> notify = verbs("hca0", 1).notifyCq(o.cq, false);
        assertEquals(2, inUse("hca0", "QP"));
        assertEquals(1, inUse("hca0", "MCG"));
        rig.hcas.removeDriver(ulp);
        rig.settle();
        IoStatusException pending = HcaTestRig.failure(notify, "the pending REQ_NOTIFY_CQ");
        assertFalse(NtStatus.isSuccess(pending.status()));
        for (String r : List.of("QP", "CQ", "PD", "MR", "AH", "MCG")) {
            assertEquals(r, 0, inUse("hca0", r));
        }
        assertTrue(rig.core().objects().isEmpty());
        rig.assertChildren(4);
        rig.assertClean();
    }

    @Test
    public void thePortGoingDownDestroysWhatItsClientMade() {
        make(verbs("hca1", 2));
        assertEquals(1, inUse("hca1", "QP"));
        DeviceObject ulpDevice = ulpOn("hca1", 2);
        rig.hcas.hardware("hca1").fabricPort(2).setLinkUp(false);
        IbalRig.eventually(() -> ulpDevice.pnpState() == PnpState.DELETED, "the ULP's device going");
        rig.settle();
        assertEquals(0, inUse("hca1", "QP"));
        assertEquals(0, inUse("hca1", "PD"));
        assertEquals(0, inUse("hca1", "CQ"));
        rig.assertClean();
    }

    @Test
    public void theHcaLeavingWhileItsClientsHoldObjectsRemovesThemWithoutHanging() {
        make(verbs("hca0", 1));
        Objects o = make(verbs("hca0", 2));
        Promise<Void> notify = verbs("hca0", 2).notifyCq(o.cq, false);
        DeviceObject ulpDevice = ulpOn("hca0", 2);
        rig.hcas.unplug("hca0");
        IbalRig.eventually(() -> ulpDevice.pnpState() == PnpState.DELETED, "the ULP's device going with hca0");
        rig.settle();
        assertFalse(NtStatus.isSuccess(HcaTestRig.failure(notify, "REQ_NOTIFY_CQ").status()));
        for (IbalObjects tree : rig.core().objects()) {
            assertEquals(tree.client(), "hca1", tree.ca());
            assertTrue(tree.client(), tree.roots().isEmpty());
        }
        rig.assertChildren(2);
        // hca1's clients never noticed
        make(verbs("hca1", 1));
        rig.assertClean();
    }
}
