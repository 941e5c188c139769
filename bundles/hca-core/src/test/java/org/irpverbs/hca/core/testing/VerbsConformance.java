package org.irpverbs.hca.core.testing;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.hca.core.HcaDriver;
import org.irpverbs.hca.core.HcaDriverOptions;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoResult;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.Opcode;
import org.irpverbs.softhca.cmdif.CommandMode;
import org.irpverbs.softhca.engine.SoftHca;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.AddressHandle;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.AsyncEventType;
import org.irpverbs.verbs.CaAttributes;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.MemoryRegion;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.PortState;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.SpecialQpType;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsIoctl;
import org.irpverbs.verbs.VerbsRequest;
import org.irpverbs.verbs.VerbsInterface;
import org.irpverbs.verbs.VerbsSpeedPath;
import org.irpverbs.verbs.WcOpcode;
import org.irpverbs.verbs.WorkCompletion;
import org.irpverbs.verbs.WrOpcode;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.util.promise.Promise;

/**
 * What every HCA driver model must do, run by each driver bundle against its own driver on real
 * soft HCAs: two HCAs ({@code hcaA}, {@code hcaB}, two ports each) of the subclass's model, with
 * the subclass's drivers. Every test ends with no blocking at DISPATCH and no driver bug.
 */
public abstract class VerbsConformance {
    /**
     * The options the subclasses' drivers run with: a command timeout far beyond any pause of a
     * loaded machine, because a test that holds commands in the firmware (a stalled firmware) must
     * not see them time out before it acts on them.
     */
    protected static final HcaDriverOptions DRIVER_OPTIONS = new HcaDriverOptions(CommandMode.QUEUED,
            TimeUnit.SECONDS.toNanos(120));

    protected HcaTestRig rig;

    /** The model both HCAs are (the subclass's driver must claim it). */
    protected abstract HcaModel model();

    /** True if the driver runs this model with context memory in host memory. */
    protected abstract boolean memFree();

    /** Adds the driver(s) to the rig, among them {@link #driverUnderTest()}. */
    protected abstract void addDrivers(HcaTestRig rig);

    /** The driver that runs the HCAs. */
    protected abstract org.irpverbs.irp.Driver driverUnderTest();

    /** Extra configuration of the HCAs, e.g. a slow command class. */
    protected Hashtable<String, Object> configuration(String name, int... lids) {
        return HcaTestRig.properties(name, model(), lids);
    }

    @Before
    public void setUp() {
        rig = new HcaTestRig();
        rig.configure(configuration("hcaA", 11, 12)).configure(configuration("hcaB", 13, 14));
        addDrivers(rig);
        rig.startBus();
    }

    @After
    public void tearDown() {
        rig.close();
    }

    private static <T> T await(Promise<T> p, String what) {
        return HcaTestRig.await(p, what);
    }

    private static IoStatusException failure(Promise<?> p, String what) {
        return HcaTestRig.failure(p, what);
    }

    private static void assertFails(Promise<?> p, int status, String messagePart, String what) {
        IoStatusException e = failure(p, what);
        assertEquals(what + ": " + e.getMessage(), NtStatus.name(status), NtStatus.name(e.status()));
        assertTrue(what + ": '" + e.getMessage() + "' should say '" + messagePart + "'", e.getMessage().contains(messagePart));
    }

    @Test
    public void theStackComesUpAndAnswersQueries() {
        HcaDevice hca = rig.hcaDevice("hcaA");
        assertTrue(hca.device().interfaces().contains(HcaDriver.DEVICE_INTERFACE));
        Verbs verbs = rig.verbs("hcaA");
        CaAttributes ca = await(verbs.queryCa(), "QUERY_CA");
        assertEquals(model().deviceId(), ca.vendorPartId());
        assertEquals(HcaModel.VENDOR_MELLANOX, ca.vendorId());
        assertTrue(ca.model(), ca.model().startsWith(model().name()));
        assertEquals(2, ca.physicalPorts());
        assertEquals(memFree(), ca.memFree());
        assertEquals(rig.hardware("hcaA").config().nodeGuid(), ca.nodeGuid());
        assertNotNull(ca.firmwareVersion());
        PortAttributes port2 = await(verbs.queryPort(2), "QUERY_PORT 2");
        assertEquals(PortState.ACTIVE, port2.state());
        assertEquals(12, port2.lid());
        assertEquals(rig.hardware("hcaA").config().portGuid(2), port2.portGuid());
        VerbsSpeedPath speedPath = rig.speedPath("hcaA");
        assertNotNull(speedPath);
        VerbsInterface versioned = await(rig.io.queryInterface(hca.device(), VerbsInterface.class),
                "QUERY_INTERFACE(VerbsInterface)");
        assertEquals(VerbsInterface.CURRENT, versioned.version());
        assertEquals("hcaA", versioned.name());
        assertSame(hca.device(), versioned.device());
        assertSame(speedPath, versioned.speedPath());
        var stats = hca.statistics();
        assertEquals(1L, (long) stats.commands().completedByOpcode().get(Opcode.QUERY_FW));
        assertEquals(2L, (long) stats.commands().completedByOpcode().get(Opcode.INIT_IB));
        assertEquals(memFree(), stats.commands().completedByOpcode().containsKey(Opcode.RUN_FW));
        assertEquals(!memFree(), stats.commands().completedByOpcode().containsKey(Opcode.SYS_EN));
        assertEquals(16, stats.commands().maxOutstanding());
        rig.assertClean();
    }

    @Test
    public void rdmaWriteReadAndSendMoveVerifiedDataBetweenTheHcasThroughTheSpeedPath() {
        RcEnd a = RcEnd.open(rig, "hcaA", 1, 1 << 16);
        RcEnd b = RcEnd.open(rig, "hcaB", 2, 1 << 16);
        a.connect(b);
        b.connect(a);
        for (int i = 0; i < 1 << 16; i++) {
            a.buffer.put(i, (byte) (i * 7 + 3));
        }
        RcEnd.check(a.postRdma(WrOpcode.RDMA_WRITE, 1, 0, 1 << 16, b), "post RDMA WRITE");
        WorkCompletion write = a.pollSuccess();
        assertEquals(WcOpcode.RDMA_WRITE, write.opcode);
        assertEquals(1, write.wrId);
        assertEquals("RDMA WRITE data", a.buffer.duplicate().clear(), b.buffer.duplicate().clear());
        for (int i = 0; i < 4096; i++) {
            b.buffer.put(i, (byte) (i ^ 0x5A));
        }
        RcEnd.check(a.postRdma(WrOpcode.RDMA_READ, 2, 0, 4096, b), "post RDMA READ");
        assertEquals(WcOpcode.RDMA_READ, a.pollSuccess().opcode);
        assertEquals("RDMA READ data", b.buffer.duplicate().limit(4096), a.buffer.duplicate().limit(4096));
        RcEnd.check(b.postReceive(7, 8192, 1000), "post receive");
        RcEnd.check(a.postSend(3, 100, 1000), "post SEND");
        WorkCompletion received = b.pollSuccess();
        assertEquals(WcOpcode.RECV, received.opcode);
        assertEquals(1000, received.byteLength);
        assertEquals(7, received.wrId);
        assertEquals(WcOpcode.SEND, a.pollSuccess().opcode);
        assertEquals("SEND data", a.buffer.duplicate().position(100).limit(1100), b.buffer.duplicate().position(8192)
                .limit(9192));
        QpAttributes queried = await(a.verbs.queryQp(a.qp), "QUERY_QP");
        assertEquals(QpState.RTS, queried.state);
        a.destroy();
        b.destroy();
        rig.assertClean();
    }

    @Test
    public void aCqNotificationIsARequestThatACompletionCompletes() {
        RcEnd a = RcEnd.open(rig, "hcaA", 1, 4096);
        RcEnd b = RcEnd.open(rig, "hcaB", 1, 4096);
        a.connect(b);
        b.connect(a);
        Promise<Void> notified = b.verbs.notifyCq(b.cq, false);
        RcEnd.check(b.postReceive(1, 0, 64), "post receive");
        long before = rig.hcaDevice("hcaB").statistics().completionEvents();
        assertFalse("nothing completed yet", await(idleFor(notified, 50), "waiting"));
        assertEquals(1, rig.hcaDevice("hcaB").statistics().pendingNotifications());
        RcEnd.check(a.postSend(1, 0, 64), "post SEND");
        await(notified, "REQ_NOTIFY_CQ");
        assertTrue(rig.hcaDevice("hcaB").statistics().completionEvents() > before);
        assertEquals(WcOpcode.RECV, b.pollSuccess().opcode);
        a.pollSuccess();
        a.destroy();
        b.destroy();
        rig.assertClean();
    }

    /** Resolves with true if {@code p} resolved within {@code millis}, false otherwise (never fails). */
    private Promise<Boolean> idleFor(Promise<?> p, long millis) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        p.onResolve(() -> f.complete(true));
        rig.io.schedule(TimeUnit.MILLISECONDS.toNanos(millis), () -> f.complete(false));
        org.osgi.util.promise.Deferred<Boolean> d = new org.osgi.util.promise.Deferred<>();
        f.thenAccept(d::resolve);
        return d.getPromise();
    }

    @Test
    public void aPendingNotificationCanBeCancelledAndDestroyingTheCqCancelsTheRest() throws Exception {
        Verbs verbs = rig.verbs("hcaA");
        CompletionQueue cq = await(verbs.createCq(16), "CREATE_CQ");
        DeviceObject fdo = rig.hcaDevice("hcaA").device();
        Irp irp = Irp.forDevice(fdo);
        VerbsRequest.NotifyCq request = new VerbsRequest.NotifyCq(cq, true);
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL).setIoControlCode(VerbsIoctl.REQ_NOTIFY_CQ)
                .setArgument(request);
        CompletableFuture<Integer> done = new CompletableFuture<>();
        irp.setCompletionListener(r -> done.complete(r.status()));
        assertEquals(NtStatus.PENDING, rig.io.send(fdo, irp));
        assertFalse(done.isDone());
        assertTrue("the cancel routine ran", irp.cancel());
        assertEquals(NtStatus.CANCELLED, (int) done.get(5, TimeUnit.SECONDS));
        assertEquals(0, rig.hcaDevice("hcaA").statistics().pendingNotifications());
        Promise<Void> second = verbs.notifyCq(cq, false);
        Promise<Void> third = verbs.notifyCq(cq, false);
        await(verbs.destroy(cq), "DESTROY_CQ");
        assertFails(second, NtStatus.CANCELLED, "", "notification of a destroyed CQ");
        assertFails(third, NtStatus.CANCELLED, "", "notification of a destroyed CQ");
        assertFails(verbs.notifyCq(cq, false), NtStatus.INVALID_HANDLE, "is destroyed", "notify on a destroyed CQ");
        rig.assertClean();
    }

    @Test
    public void asyncEventsCompleteWaitingRequestsAndTheRestWaitInTheRing() {
        Verbs verbs = rig.verbs("hcaA");
        // INIT_IB raised PORT_ACTIVE for both ports while the HCA started: kept for the first requests
        AsyncEvent first = await(verbs.nextAsyncEvent(), "GET_ASYNC_EVENT");
        AsyncEvent second = await(verbs.nextAsyncEvent(), "GET_ASYNC_EVENT");
        assertEquals(AsyncEventType.PORT_ACTIVE, first.type());
        assertEquals(AsyncEventType.PORT_ACTIVE, second.type());
        Promise<AsyncEvent> waiting = verbs.nextAsyncEvent();
        assertEquals(1, await(idleFor(waiting, 20).map(done -> rig.hcaDevice("hcaA").statistics().pendingAsyncRequests()),
                "statistics").intValue());
        rig.hardware("hcaA").fabricPort(2).setLinkUp(false);
        AsyncEvent down = await(waiting, "GET_ASYNC_EVENT");
        assertEquals(AsyncEventType.PORT_DOWN, down.type());
        assertEquals(2, down.port());
        // the event and QUERY_PORT agree: a port whose link is down is Down (IBA 14.2.5.6)
        assertEquals(PortState.DOWN, await(verbs.queryPort(2), "QUERY_PORT 2 after PORT_DOWN").state());
        assertEquals(PortState.ACTIVE, await(verbs.queryPort(1), "QUERY_PORT 1").state());
        rig.hardware("hcaA").fabricPort(2).setLinkUp(true);
        assertEquals(AsyncEventType.PORT_ACTIVE, await(verbs.nextAsyncEvent(), "GET_ASYNC_EVENT").type());
        assertEquals(PortState.ACTIVE, await(verbs.queryPort(2), "QUERY_PORT 2 after PORT_ACTIVE").state());
        rig.assertClean();
    }

    @Test
    public void everyBadInputGetsASpecificStatusAndAReason() {
        Verbs a = rig.verbs("hcaA");
        Verbs b = rig.verbs("hcaB");
        DeviceObject fdo = rig.hcaDevice("hcaA").device();
        // the request itself
        IoResult unknown = await(rig.io.internalDeviceControl(fdo, 0x12345678, null, null, null), "unknown IOCTL");
        assertEquals(NtStatus.INVALID_DEVICE_REQUEST, unknown.status());
        IoResult noArgument = await(rig.io.internalDeviceControl(fdo, VerbsIoctl.ALLOC_PD, null, null, null), "no argument");
        assertEquals(NtStatus.INVALID_PARAMETER, noArgument.status());
        VerbsRequest.QueryCa mismatched = new VerbsRequest.QueryCa();
        IoResult wrongArgument = await(rig.io.internalDeviceControl(fdo, VerbsIoctl.ALLOC_PD, mismatched, null, null),
                "mismatched argument");
        assertEquals(NtStatus.INVALID_PARAMETER, wrongArgument.status());
        assertTrue(mismatched.error(), mismatched.error().contains("QUERY_CA request, but the IOCTL is ALLOC_PD"));
        // ports
        assertFails(a.queryPort(3), NtStatus.INVALID_PARAMETER, "port must be 1..2", "QUERY_PORT 3");
        assertFails(a.queryPort(0), NtStatus.INVALID_PARAMETER, "port must be 1..2", "QUERY_PORT 0");
        // memory regions
        ProtectionDomain pd = await(a.allocPd(), "ALLOC_PD");
        ProtectionDomain otherPd = await(b.allocPd(), "ALLOC_PD on B");
        ByteBuffer memory = ByteBuffer.allocate(8192);
        assertFails(a.regMr(pd, memory.duplicate().limit(0), 0x1000, AccessFlags.LOCAL_WRITE), NtStatus.INVALID_PARAMETER,
                "empty", "REG_MR of nothing");
        assertFails(a.regMr(pd, memory, 0x1000, AccessFlags.REMOTE_WRITE), NtStatus.INVALID_PARAMETER,
                "require LOCAL_WRITE", "REG_MR REMOTE_WRITE without LOCAL_WRITE");
        assertFails(a.regMr(pd, memory, 0x1000, 0x40), NtStatus.INVALID_PARAMETER, "unknown access bits", "REG_MR bad bits");
        assertFails(a.regMr(pd, memory.asReadOnlyBuffer(), 0x1000, AccessFlags.LOCAL_WRITE), NtStatus.INVALID_PARAMETER,
                "read-only", "REG_MR of a read-only buffer for writing");
        assertFails(a.regMr(pd, memory, -100, AccessFlags.LOCAL_WRITE), NtStatus.INVALID_PARAMETER, "wraps around",
                "REG_MR across the end of the address space");
        assertFails(a.regMr(otherPd, memory, 0x1000, AccessFlags.LOCAL_WRITE), NtStatus.INVALID_HANDLE,
                "belongs to", "REG_MR with another HCA's PD");
        MemoryRegion mr = await(a.regMr(pd, memory, 0x1000, AccessFlags.LOCAL_WRITE), "REG_MR");
        assertEquals(mr.lkey(), mr.rkey());
        assertEquals(mr.number(), mr.lkey() >>> 8);
        // completion queues
        assertFails(a.createCq(0), NtStatus.INVALID_PARAMETER, "CQ entries must be 1..", "CREATE_CQ 0");
        assertFails(a.createCq(Integer.MAX_VALUE), NtStatus.INVALID_PARAMETER, "CQ entries must be 1..", "CREATE_CQ huge");
        CompletionQueue cq = await(a.createCq(100), "CREATE_CQ");
        assertEquals(128, cq.capacity());
        CompletionQueue otherCq = await(b.createCq(10), "CREATE_CQ on B");
        assertFails(a.resizeCq(cq, -1), NtStatus.INVALID_PARAMETER, "CQ entries", "RESIZE_CQ -1");
        assertEquals(256, (int) await(a.resizeCq(cq, 200), "RESIZE_CQ"));
        assertEquals(256, cq.capacity());
        // queue pairs
        assertFails(a.createQp(pd, QpType.RC, cq, cq, 0, 4, 1, 0, true), NtStatus.INVALID_PARAMETER, "maxSendWr",
                "CREATE_QP no send queue");
        assertFails(a.createQp(pd, QpType.RC, cq, cq, 4, 4, 0, 0, true), NtStatus.INVALID_PARAMETER, "maxSge",
                "CREATE_QP no SGE");
        assertFails(a.createQp(pd, QpType.RC, cq, cq, 4, 4, 1, 1 << 20, true), NtStatus.INVALID_PARAMETER, "maxInlineData",
                "CREATE_QP inline too large");
        assertFails(a.createQp(pd, QpType.RC, otherCq, cq, 4, 4, 1, 0, true), NtStatus.INVALID_HANDLE, "send CQ",
                "CREATE_QP with another HCA's CQ");
        QueuePair qp = await(a.createQp(pd, QpType.RC, cq, cq, 4, 4, 1, 0, true), "CREATE_QP");
        assertEquals(QpState.RESET, qp.state());
        assertEquals(QpState.RESET, await(a.queryQp(qp), "QUERY_QP in RESET").state);
        assertFails(a.modifyQp(qp, RcEnd.rtr(13, 99)), NtStatus.INVALID_PARAMETER, "no transition RESET -> RTR",
                "RESET -> RTR");
        QpAttributes noPort = RcEnd.init(1);
        noPort.mask &= ~QpAttributes.PORT;
        assertFails(a.modifyQp(qp, noPort), NtStatus.INVALID_PARAMETER, "requires PORT", "RESET -> INIT without a port");
        assertFails(a.modifyQp(qp, RcEnd.init(3)), NtStatus.INVALID_PARAMETER, "port must be 1..2", "RESET -> INIT port 3");
        assertEquals(QpState.RESET, qp.state());
        await(a.modifyQp(qp, RcEnd.init(1)), "RESET -> INIT");
        assertEquals(QpState.INIT, qp.state());
        // dependants keep their parents alive
        assertFails(a.destroy(pd), NtStatus.INVALID_DEVICE_STATE, "still used by", "DEALLOC_PD with objects");
        assertFails(a.destroy(cq), NtStatus.INVALID_DEVICE_STATE, "still used by 2 QPs", "DESTROY_CQ in use");
        // address handles and multicast
        assertFails(a.createAh(pd, 1, 0, 0), NtStatus.INVALID_PARAMETER, "unicast LID", "CREATE_AH LID 0");
        assertFails(a.createAh(pd, 1, 5, 16), NtStatus.INVALID_PARAMETER, "service level", "CREATE_AH SL 16");
        assertFails(a.createAh(pd, 9, 5, 0), NtStatus.INVALID_PARAMETER, "port must be", "CREATE_AH port 9");
        AddressHandle ah = await(a.createAh(pd, 1, 13, 0), "CREATE_AH");
        byte[] gid = new byte[16];
        gid[0] = (byte) 0xFF;
        assertFails(a.attachMulticast(qp, gid, 0xC001), NtStatus.INVALID_PARAMETER, "only UD QPs", "ATTACH_MCAST on RC");
        assertFails(a.attachMulticast(qp, new byte[3], 0xC001), NtStatus.INVALID_PARAMETER, "only UD QPs",
                "ATTACH_MCAST on RC, bad GID");
        // the speed path
        VerbsSpeedPath speed = rig.speedPath("hcaA");
        SendWorkRequest send = new SendWorkRequest();
        send.sgl.add(0x1000, 16, mr.lkey());
        assertEquals("send before RTS", NtStatus.INVALID_DEVICE_STATE, speed.postSend(qp, send));
        assertEquals("poll another HCA's CQ", -1, speed.pollCq(otherCq, new WorkCompletion[1], 1));
        assertEquals("post to a null QP", NtStatus.INVALID_PARAMETER, speed.postSend(null, send));
        // destroying, twice
        await(a.destroy(qp), "DESTROY_QP");
        assertTrue(qp.isDestroyed());
        assertFails(a.destroy(qp), NtStatus.INVALID_HANDLE, "is destroyed", "DESTROY_QP twice");
        assertFails(a.modifyQp(qp, RcEnd.rts()), NtStatus.INVALID_HANDLE, "is destroyed", "MODIFY_QP after destroy");
        assertEquals("post to a destroyed QP", NtStatus.INVALID_PARAMETER, speed.postSend(qp, send));
        await(a.destroy(ah), "DESTROY_AH");
        await(a.destroy(mr), "DEREG_MR");
        assertFails(a.destroy(mr), NtStatus.INVALID_HANDLE, "is destroyed", "DEREG_MR twice");
        await(a.destroy(cq), "DESTROY_CQ");
        assertEquals("poll a destroyed CQ", -1, speed.pollCq(cq, new WorkCompletion[1], 1));
        await(a.destroy(pd), "DEALLOC_PD");
        assertFails(a.regMr(pd, memory, 0, AccessFlags.LOCAL_WRITE), NtStatus.INVALID_HANDLE, "is destroyed",
                "REG_MR with a deallocated PD");
        await(b.destroy(otherCq), "DESTROY_CQ on B");
        await(b.destroy(otherPd), "DEALLOC_PD on B");
        assertTrue(rig.hcaDevice("hcaA").statistics().resources().values().stream().allMatch(u -> u.inUse() == 0));
        rig.assertClean();
    }

    @Test
    public void udQpsJoinAndLeaveMulticastGroupsAndCannotBeDestroyedWhileAttached() {
        Verbs a = rig.verbs("hcaA");
        ProtectionDomain pd = await(a.allocPd(), "ALLOC_PD");
        CompletionQueue cq = await(a.createCq(16), "CREATE_CQ");
        QueuePair ud = await(a.createQp(pd, QpType.UD, cq, cq, 4, 4, 1, 0, true), "CREATE_QP UD");
        QueuePair ud2 = await(a.createQp(pd, QpType.UD, cq, cq, 4, 4, 1, 0, true), "CREATE_QP UD");
        byte[] gid = new byte[16];
        gid[0] = (byte) 0xFF;
        gid[1] = 0x12;
        gid[15] = 1;
        assertFails(a.attachMulticast(ud, gid, 0xC001), NtStatus.INVALID_DEVICE_STATE, "is in RESET",
                "ATTACH_MCAST of a QP in RESET");
        for (QueuePair q : List.of(ud, ud2)) {
            QpAttributes init = new QpAttributes().toState(QpState.INIT).set(QpAttributes.PKEY_INDEX)
                    .set(QpAttributes.PORT).set(QpAttributes.QKEY);
            init.port = 1;
            init.qkey = 0x80010000;
            await(a.modifyQp(q, init), "UD RESET->INIT");
        }
        assertFails(a.attachMulticast(ud, new byte[16], 0xC001), NtStatus.INVALID_PARAMETER, "multicast GID",
                "ATTACH_MCAST unicast GID");
        assertFails(a.attachMulticast(ud, gid, 5), NtStatus.INVALID_PARAMETER, "multicast LID", "ATTACH_MCAST LID 5");
        await(a.attachMulticast(ud, gid, 0xC001), "ATTACH_MCAST");
        await(a.attachMulticast(ud2, gid, 0xC001), "ATTACH_MCAST second QP");
        assertEquals(1, rig.hcaDevice("hcaA").statistics().resources().get("MCG").inUse());
        assertFails(a.attachMulticast(ud, gid, 0xC002), NtStatus.INVALID_PARAMETER, "has MLID", "ATTACH_MCAST other MLID");
        assertFails(a.destroy(ud), NtStatus.INVALID_DEVICE_STATE, "multicast attachments", "DESTROY_QP attached");
        await(a.detachMulticast(ud, gid, 0xC001), "DETACH_MCAST");
        assertFails(a.detachMulticast(ud, gid, 0xC001), NtStatus.INVALID_PARAMETER, "not attached", "DETACH_MCAST twice");
        await(a.detachMulticast(ud2, gid, 0xC001), "DETACH_MCAST second");
        assertEquals(0, rig.hcaDevice("hcaA").statistics().resources().get("MCG").inUse());
        // many changes to one group at once take turns
        List<Promise<Void>> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            all.add(a.attachMulticast(i % 2 == 0 ? ud : ud2, gid, 0xC001));
        }
        for (Promise<Void> p : all) {
            await(p, "concurrent ATTACH_MCAST");
        }
        await(a.detachMulticast(ud, gid, 0xC001), "DETACH_MCAST");
        await(a.detachMulticast(ud2, gid, 0xC001), "DETACH_MCAST");
        await(a.destroy(ud), "DESTROY_QP");
        await(a.destroy(ud2), "DESTROY_QP");
        await(a.destroy(cq), "DESTROY_CQ");
        await(a.destroy(pd), "DEALLOC_PD");
        rig.assertClean();
    }

    @Test
    public void udSendsNeedAnAddressHandleOfTheQpsPd() {
        Verbs a = rig.verbs("hcaA");
        Verbs b = rig.verbs("hcaB");
        ProtectionDomain pd = await(a.allocPd(), "ALLOC_PD");
        ProtectionDomain pd2 = await(a.allocPd(), "ALLOC_PD");
        ProtectionDomain pdB = await(b.allocPd(), "ALLOC_PD B");
        ByteBuffer memory = ByteBuffer.allocate(4096);
        MemoryRegion mr = await(a.regMr(pd, memory, 0x2000, AccessFlags.LOCAL_WRITE), "REG_MR");
        ByteBuffer memoryB = ByteBuffer.allocate(4096);
        MemoryRegion mrB = await(b.regMr(pdB, memoryB, 0x3000, AccessFlags.LOCAL_WRITE), "REG_MR B");
        CompletionQueue cq = await(a.createCq(16), "CREATE_CQ");
        CompletionQueue cqB = await(b.createCq(16), "CREATE_CQ B");
        QueuePair qp = await(a.createQp(pd, QpType.UD, cq, cq, 4, 4, 1, 0, true), "CREATE_QP UD");
        QueuePair qpB = await(b.createQp(pdB, QpType.UD, cqB, cqB, 4, 4, 1, 0, true), "CREATE_QP UD B");
        udToRts(a, qp, 1, 0x11111111);
        udToRts(b, qpB, 1, 0x11111111);
        VerbsSpeedPath speed = rig.speedPath("hcaA");
        VerbsSpeedPath speedB = rig.speedPath("hcaB");
        ReceiveWorkRequest recv = new ReceiveWorkRequest();
        recv.wrId = 9;
        recv.sgl.add(0x3000, 4096, mrB.lkey());
        assertEquals(NtStatus.SUCCESS, speedB.postReceive(qpB, recv));
        SendWorkRequest send = new SendWorkRequest();
        send.sgl.add(0x2000, 100, mr.lkey());
        send.remoteQpn = qpB.number();
        send.remoteQkey = 0x11111111;
        assertEquals("UD send without an AH", NtStatus.INVALID_PARAMETER, speed.postSend(qp, send));
        AddressHandle otherPdAh = await(a.createAh(pd2, 1, 13, 0), "CREATE_AH other PD");
        send.addressHandle = otherPdAh;
        assertEquals("UD send with an AH of another PD", NtStatus.INVALID_PARAMETER, speed.postSend(qp, send));
        AddressHandle ah = await(a.createAh(pd, 1, 13, 0), "CREATE_AH");
        send.addressHandle = ah;
        memory.put(0, (byte) 42);
        assertEquals(NtStatus.SUCCESS, speed.postSend(qp, send));
        WorkCompletion[] wc = {new WorkCompletion()};
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (speedB.pollCq(cqB, wc, 1) == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(WcOpcode.RECV, wc[0].opcode);
        assertEquals(9, wc[0].wrId);
        assertEquals(qp.number(), wc[0].sourceQp);
        assertEquals(11, wc[0].sourceLid);
        assertFalse("routed by LID: no GRH", wc[0].grhPresent);
        assertFails(a.destroy(pd), NtStatus.INVALID_DEVICE_STATE, "still used by", "DEALLOC_PD with an AH");
        rig.assertClean();
    }

    /** Brings a UD QP (ordinary or special) to RTS on {@code port} with {@code qkey}. */
    private static void udToRts(Verbs v, QueuePair q, int port, int qkey) {
        QpAttributes init = new QpAttributes().toState(QpState.INIT).set(QpAttributes.PKEY_INDEX).set(QpAttributes.PORT)
                .set(QpAttributes.QKEY);
        init.port = port;
        init.qkey = qkey;
        await(v.modifyQp(q, init), "UD RESET->INIT");
        await(v.modifyQp(q, new QpAttributes().toState(QpState.RTR)), "UD INIT->RTR");
        await(v.modifyQp(q, new QpAttributes().toState(QpState.RTS).set(QpAttributes.SQ_PSN)), "UD RTR->RTS");
    }

    private static WorkCompletion pollOne(VerbsSpeedPath speed, CompletionQueue cq) {
        WorkCompletion[] wc = {new WorkCompletion()};
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (speed.pollCq(cq, wc, 1) == 0) {
            assertTrue("no completion on CQ " + cq.number() + " within 30 s", System.nanoTime() < deadline);
            Thread.onSpinWait();
        }
        return wc[0];
    }

    /**
     * CREATE_SPECIAL_QP gives each port its QP1 and QP0: a datagram to QPN 1 (with the GSI Q_Key)
     * or QPN 0 of a port lands in that port's special QP and says it came from QPN 1 or 0; one of
     * each per port, bound to its port, never in a multicast group; destroying one frees it for
     * the next. LOCAL_MAD reaches the port's own subnet management agent.
     */
    @Test
    public void specialQpsAreQpn0And1OfTheirPortAndLocalMadsReachTheAgent() {
        Verbs a = rig.verbs("hcaA");
        Verbs b = rig.verbs("hcaB");
        ProtectionDomain pd = await(a.allocPd(), "ALLOC_PD");
        ProtectionDomain pdB = await(b.allocPd(), "ALLOC_PD B");
        ByteBuffer memory = ByteBuffer.allocate(4096);
        MemoryRegion mr = await(a.regMr(pd, memory, 0x2000, AccessFlags.LOCAL_WRITE), "REG_MR");
        ByteBuffer memoryB = ByteBuffer.allocate(4096);
        MemoryRegion mrB = await(b.regMr(pdB, memoryB, 0x3000, AccessFlags.LOCAL_WRITE), "REG_MR B");
        CompletionQueue cq = await(a.createCq(16), "CREATE_CQ");
        CompletionQueue cqB = await(b.createCq(16), "CREATE_CQ B");
        QueuePair gsi = await(a.createSpecialQp(SpecialQpType.GSI, 1, pd, cq, cq, 4, 4, 1, true), "QP1 A");
        QueuePair gsiB = await(b.createSpecialQp(SpecialQpType.GSI, 1, pdB, cqB, cqB, 4, 4, 1, true), "QP1 B");
        QueuePair smiB = await(b.createSpecialQp(SpecialQpType.SMI, 2, pdB, cqB, cqB, 4, 4, 1, true), "QP0 B port 2");
        QueuePair smi = await(a.createSpecialQp(SpecialQpType.SMI, 2, pd, cq, cq, 4, 4, 1, true), "QP0 A port 2");
        assertFails(a.createSpecialQp(SpecialQpType.GSI, 1, pd, cq, cq, 4, 4, 1, true), NtStatus.INVALID_DEVICE_STATE,
                "already has its GSI QP", "a second QP1 on port 1");
        assertFails(a.createSpecialQp(SpecialQpType.GSI, 3, pd, cq, cq, 4, 4, 1, true), NtStatus.INVALID_PARAMETER,
                "port must be 1..2", "QP1 of port 3");
        QpAttributes wrongPort = new QpAttributes().toState(QpState.INIT).set(QpAttributes.PKEY_INDEX)
                .set(QpAttributes.PORT).set(QpAttributes.QKEY);
        wrongPort.port = 2;
        wrongPort.qkey = SpecialQpType.GSI_QKEY;
        assertFails(a.modifyQp(gsi, wrongPort), NtStatus.INVALID_PARAMETER, "its port is 1", "QP1 of port 1 on port 2");
        udToRts(a, gsi, 1, SpecialQpType.GSI_QKEY);
        udToRts(b, gsiB, 1, SpecialQpType.GSI_QKEY);
        udToRts(a, smi, 2, 0);
        udToRts(b, smiB, 2, 0);
        byte[] gid = new byte[16];
        gid[0] = (byte) 0xFF;
        assertFails(a.attachMulticast(gsi, gid, 0xC001), NtStatus.INVALID_PARAMETER, "special QPs join no multicast",
                "ATTACH_MCAST on QP1");
        VerbsSpeedPath speed = rig.speedPath("hcaA");
        VerbsSpeedPath speedB = rig.speedPath("hcaB");
        for (int i = 0; i < 2; i++) {
            QueuePair to = i == 0 ? gsiB : smiB;
            ReceiveWorkRequest recv = new ReceiveWorkRequest();
            recv.wrId = 100 + i;
            recv.sgl.add(0x3000, 4096, mrB.lkey());
            assertEquals(NtStatus.SUCCESS, speedB.postReceive(to, recv));
            SendWorkRequest send = new SendWorkRequest();
            send.sgl.add(0x2000, 256, mr.lkey());
            send.remoteQpn = i == 0 ? 1 : 0;
            send.remoteQkey = i == 0 ? SpecialQpType.GSI_QKEY : 0;
            send.addressHandle = await(a.createAh(pd, i == 0 ? 1 : 2, i == 0 ? 13 : 14, 0), "CREATE_AH");
            assertEquals(NtStatus.SUCCESS, speed.postSend(i == 0 ? gsi : smi, send));
            assertEquals("sent", WcOpcode.SEND, pollOne(speed, cq).opcode);
            WorkCompletion got = pollOne(speedB, cqB);
            assertEquals(WcOpcode.RECV, got.opcode);
            assertEquals(100 + i, got.wrId);
            assertEquals("the special QP's context received it", to.number(), got.qpNumber);
            assertEquals("the wire names QPN " + (1 - i), 1 - i, got.sourceQp);
            assertEquals(i == 0 ? 11 : 12, got.sourceLid);
            assertEquals(40 + 256, got.byteLength);
        }
        // LOCAL_MAD: SubnGet(NodeInfo) answered by port 1's SMA; a Set is consumed without answer
        byte[] mad = new byte[256];
        mad[0] = 1;
        mad[1] = 0x01;
        mad[2] = 1;
        mad[3] = 0x01;
        mad[16] = 0x00;
        mad[17] = 0x11;
        byte[] response = await(a.localMad(1, mad), "LOCAL_MAD SubnGet(NodeInfo)");
        assertNotNull(response);
        assertEquals("GetResp", (byte) 0x81, response[3]);
        assertEquals(rig.hardware("hcaA").config().nodeGuid(), ByteBuffer.wrap(response).getLong(64 + 12));
        mad[3] = 0x02;
        assertNull("SubnSet is not the SMA's to answer here", await(a.localMad(1, mad), "LOCAL_MAD SubnSet"));
        assertFails(a.localMad(1, new byte[255]), NtStatus.INVALID_PARAMETER, "a MAD is 256 bytes", "a short MAD");
        assertFails(a.localMad(0, mad), NtStatus.INVALID_PARAMETER, "port must be", "LOCAL_MAD port 0");
        await(a.destroy(gsi), "DESTROY_QP QP1");
        QueuePair again = await(a.createSpecialQp(SpecialQpType.GSI, 1, pd, cq, cq, 4, 4, 1, true), "QP1 A again");
        assertEquals("the same context is port 1's QP1 again", gsi.number(), again.number());
        for (org.irpverbs.verbs.VerbsHandle h : List.of(again, smi)) {
            await(a.destroy(h), "DESTROY special QP");
        }
        for (org.irpverbs.verbs.VerbsHandle h : List.of(gsiB, smiB)) {
            await(b.destroy(h), "DESTROY special QP B");
        }
        rig.assertClean();
    }

    /**
     * A catastrophic error with requests in flight everywhere: waiting notifications and event
     * requests, and verbs whose commands the firmware is executing. Every one completes (none
     * hangs); what the hardware did not finish completes with DEVICE_REMOVED. The firmware is
     * stalled while the verbs are sent, so that it is still executing commands when the error
     * comes, however the machine schedules the test (with a short command latency instead, a
     * loaded machine finished all 64 before the error: "removed 0").
     */
    @Test
    public void aCatastrophicErrorCompletesEveryRequestInFlightWithDeviceRemoved() {
        Verbs a = rig.verbs("hcaA");
        CompletionQueue cq = await(a.createCq(16), "CREATE_CQ");
        await(a.nextAsyncEvent(), "the first PORT_ACTIVE");
        await(a.nextAsyncEvent(), "the second PORT_ACTIVE");
        Promise<Void> notify = a.notifyCq(cq, false);
        Promise<AsyncEvent> event = a.nextAsyncEvent();
        SoftHca hardware = rig.hardware("hcaA");
        hardware.stallFirmware();
        List<Promise<CompletionQueue>> creates = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            creates.add(a.createCq(8));
        }
        assertTrue("the firmware accepted commands of the CREATE_CQs", HcaTestRig.awaitTrue(() -> hardware.firmware().outstanding() > 0));
        hardware.injectCatastrophicError();
        hardware.resumeFirmware(); // what it held belongs to the failed hardware: it never completes
        assertFails(notify, NtStatus.DEVICE_REMOVED, "", "REQ_NOTIFY_CQ at a catastrophic error");
        assertFails(event, NtStatus.DEVICE_REMOVED, "catastrophic error", "GET_ASYNC_EVENT at a catastrophic error");
        // the firmware answered none of their commands, so none can have succeeded
        for (Promise<CompletionQueue> p : creates) {
            IoStatusException status = failure(p, "CREATE_CQ at a catastrophic error");
            assertEquals(status.getMessage(), NtStatus.name(NtStatus.DEVICE_REMOVED), NtStatus.name(status.status()));
        }
        rig.idle();
        assertFalse("the stack is gone", rig.claimed("hcaA"));
        IoStatusException late = failure(a.allocPd(), "a verb to the removed stack");
        assertTrue(NtStatus.name(late.status()), late.status() == NtStatus.DEVICE_REMOVED
                || late.status() == NtStatus.DELETE_PENDING || late.status() == NtStatus.NO_SUCH_DEVICE);
        // the chip was reset when its stack went: it starts again cleanly
        HcaTestRig.await(rig.io.restartDevice(rig.io.device("hcaA")), "restart");
        rig.idle();
        assertNull(rig.hcaDevice("hcaA").statistics().lastError());
        await(rig.verbs("hcaA").allocPd(), "ALLOC_PD after the restart");
        assertTrue(rig.hcaDevice("hcaB").state() == HcaDevice.State.STARTED);
        rig.assertClean();
    }

    @Test
    public void unpluggingAnHcaRemovesItsStack() {
        HcaDevice hca = rig.hcaDevice("hcaB");
        await(rig.verbs("hcaB").allocPd(), "ALLOC_PD");
        rig.unplug("hcaB");
        assertEquals(HcaDevice.State.REMOVED, hca.state());
        assertArrayEquals(new Object[] {}, rig.io.devices().stream().filter(d -> d.name().startsWith("hcaB")).toArray());
        assertEquals(HcaDevice.State.STARTED, rig.hcaDevice("hcaA").state());
        rig.assertClean();
    }

    @Test
    public void removingTheDriverClosesTheHardwareWithItsShutdownCommands() {
        HcaDevice hca = rig.hcaDevice("hcaA");
        java.util.Map<Opcode, Long> before = rig.hardware("hcaA").statistics().commandsByOpcode();
        rig.removeDriver(driverUnderTest());
        assertEquals(HcaDevice.State.REMOVED, hca.state());
        java.util.Map<Opcode, Long> after = rig.hardware("hcaA").statistics().commandsByOpcode();
        assertEquals(2, delta(before, after, Opcode.CLOSE_IB));
        assertEquals(1, delta(before, after, Opcode.HW2SW_EQ));
        assertEquals(1, delta(before, after, Opcode.CLOSE_HCA));
        assertEquals(memFree() ? 0 : 1, delta(before, after, Opcode.SYS_DIS));
        assertNull(hca.statistics().lastError());
        rig.assertClean();
    }

    private static long delta(java.util.Map<Opcode, Long> before, java.util.Map<Opcode, Long> after, Opcode op) {
        return after.getOrDefault(op, 0L) - before.getOrDefault(op, 0L);
    }
}
