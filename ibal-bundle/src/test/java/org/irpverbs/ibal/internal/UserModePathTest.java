package org.irpverbs.ibal.internal;

import static org.irpverbs.ibal.internal.UserClient.ok;
import static org.irpverbs.ibal.internal.UserClient.status;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.ibal.IbalObjects;
import org.irpverbs.ibal.user.IbalUserIoctl;
import org.irpverbs.ibal.user.UserRecords;
import org.irpverbs.ibal.user.UserRecords.Handle;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoResult;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.IoctlCode;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.RequestorMode;
import org.irpverbs.softhca.engine.SoftHca;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.VerbsIoctl;
import org.irpverbs.verbs.VerbsRequest;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.util.promise.Promise;

/**
 * The user-mode path: file objects on IBAL's own device, DEVICE_CONTROL with the flat records of
 * {@code org.irpverbs.ibal.user}, handles per file object, everything a file made destroyed when it
 * closes, and each bad buffer its own status.
 */
@org.junit.runner.RunWith(org.junit.runners.Parameterized.class)
public class UserModePathTest {
    private static final int RESET = 0;
    private static final int INIT = 1;
    private static final int RTR = 2;
    private static final int RTS = 3;
    private static final int ERR = 6;
    private static final int WC_SUCCESS = 0;
    private static final int WC_WR_FLUSH_ERR = 4;
    private static final int WC_SEND = 0;
    private static final int WC_RECV = 5;
    private static final int QKEY = 0x11223344;
    private static final long BUFFER_VA = 0x7f0000100000L;
    private static final List<String> RESOURCES = List.of("QP", "CQ", "PD", "MR", "AH");

    /** Queued, and legacy (IBAL's worker threads issue the files' verbs, the HCAs' command interfaces block). */
    @org.junit.runners.Parameterized.Parameters(name = "{0}")
    public static List<Object[]> modes() {
        return IbalRig.modes();
    }

    private final IbalRig rig;
    private long hca0;
    private long hca1;

    public UserModePathTest(IbalMode mode) {
        this.rig = new IbalRig(mode).withTavorAndMemFree();
    }

    @Before
    public void setUp() {
        rig.twoHcas().startBus().startIbal();
        hca0 = rig.ca("hca0").attributes().nodeGuid();
        hca1 = rig.ca("hca1").attributes().nodeGuid();
    }

    @After
    public void tearDown() {
        rig.close();
    }

    private DeviceObject ibalDevice() {
        return rig.core().device();
    }

    private UserClient open(String owner) {
        return UserClient.open(rig.hcas.io, ibalDevice(), owner);
    }

    private int inUse(String ca, String resource) {
        return rig.clientsInUse(ca, resource);
    }

    private void assertNoClientObjects() {
        for (String ca : List.of("hca0", "hca1")) {
            for (String r : RESOURCES) {
                assertEquals(ca + " " + r + " in use", 0, inUse(ca, r));
            }
        }
    }

    private static void assertStatus(String what, int expected, int actual) {
        assertEquals(what, NtStatus.name(expected), NtStatus.name(actual));
    }

    private static void assertStatus(String what, int expected, IoResult actual) {
        assertStatus(what, expected, actual.status());
    }

    /** The file's objects on one CA: a PD with a QP (in {@code type}), an MR and an AH, and a CQ. */
    private static final class Objects {
        long pd;
        long cq;
        long qp;
        int qpn;
        long mr;
        int lkey;
        long ah;
    }

    private static Objects make(UserClient c, long ca, int type, int ahLid) {
        Objects o = new Objects();
        o.pd = c.createPd(ca);
        o.cq = c.createCq(ca, 16);
        long[] qp = c.createQp(o.pd, o.cq, type);
        o.qp = qp[0];
        o.qpn = (int) qp[1];
        long[] mr = c.regMr(o.pd, BUFFER_VA, 4096, AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_WRITE);
        o.mr = mr[0];
        o.lkey = (int) mr[1];
        o.ah = c.createAh(o.pd, 1, ahLid);
        return o;
    }

    /** A UD QP to RTS: INIT with P_Key index, port and Q_Key; RTR; RTS with the send PSN. */
    private static void udToRts(UserClient c, long qp) {
        assertStatus("UD RESET->INIT", NtStatus.SUCCESS, c.modify(UserClient.modifyIn(qp,
                QpAttributes.PKEY_INDEX | QpAttributes.PORT | QpAttributes.QKEY, INIT)
                .putInt(UserRecords.ModifyQpIn.PORT, 1).putInt(UserRecords.ModifyQpIn.QKEY, QKEY)));
        assertStatus("UD INIT->RTR", NtStatus.SUCCESS, c.modify(UserClient.modifyIn(qp, 0, RTR)));
        assertStatus("UD RTR->RTS", NtStatus.SUCCESS, c.modify(UserClient.modifyIn(qp, QpAttributes.SQ_PSN, RTS)
                .putInt(UserRecords.ModifyQpIn.SQ_PSN, 0x100)));
    }

    /** An RC QP to RTS, connected to {@code destQpn} at {@code destLid}, with every attribute the spec requires. */
    private static void rcToRts(UserClient c, long qp, int destLid, int destQpn) {
        assertStatus("RC RESET->INIT", NtStatus.SUCCESS, c.modify(UserClient.modifyIn(qp,
                QpAttributes.PKEY_INDEX | QpAttributes.PORT | QpAttributes.ACCESS_FLAGS, INIT)
                .putInt(UserRecords.ModifyQpIn.PORT, 1)
                .putInt(UserRecords.ModifyQpIn.ACCESS_FLAGS, AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_WRITE)));
        assertStatus("RC INIT->RTR", NtStatus.SUCCESS, c.modify(UserClient.modifyIn(qp, QpAttributes.AV
                | QpAttributes.PATH_MTU | QpAttributes.DEST_QPN | QpAttributes.RQ_PSN | QpAttributes.MAX_DEST_RD_ATOMIC
                | QpAttributes.MIN_RNR_TIMER, RTR)
                .putInt(UserRecords.ModifyQpIn.DEST_LID, destLid).putInt(UserRecords.ModifyQpIn.PATH_MTU, 1024)
                .putInt(UserRecords.ModifyQpIn.DEST_QPN, destQpn).putInt(UserRecords.ModifyQpIn.RQ_PSN, 0x200)
                .putInt(UserRecords.ModifyQpIn.MAX_DEST_RD_ATOMIC, 1).putInt(UserRecords.ModifyQpIn.MIN_RNR_TIMER, 12)));
        assertStatus("RC RTR->RTS", NtStatus.SUCCESS, c.modify(UserClient.modifyIn(qp, QpAttributes.SQ_PSN
                | QpAttributes.TIMEOUT | QpAttributes.RETRY_CNT | QpAttributes.RNR_RETRY | QpAttributes.MAX_QP_RD_ATOMIC,
                RTS)
                .putInt(UserRecords.ModifyQpIn.SQ_PSN, 0x200).putInt(UserRecords.ModifyQpIn.TIMEOUT, 14)
                .putInt(UserRecords.ModifyQpIn.RETRY_COUNT, 7).putInt(UserRecords.ModifyQpIn.RNR_RETRY, 7)
                .putInt(UserRecords.ModifyQpIn.MAX_RD_ATOMIC, 1)));
    }

    private static void destroyAll(UserClient c, Objects o) {
        assertStatus("DESTROY_AH", NtStatus.SUCCESS, c.destroy(IbalUserIoctl.DESTROY_AH, o.ah));
        assertStatus("DEREG_MR", NtStatus.SUCCESS, c.destroy(IbalUserIoctl.DEREG_MR, o.mr));
        assertStatus("DESTROY_QP", NtStatus.SUCCESS, c.destroy(IbalUserIoctl.DESTROY_QP, o.qp));
        assertStatus("DESTROY_PD", NtStatus.SUCCESS, c.destroy(IbalUserIoctl.DESTROY_PD, o.pd));
        assertStatus("DESTROY_CQ", NtStatus.SUCCESS, c.destroy(IbalUserIoctl.DESTROY_CQ, o.cq));
    }

    private int lid(UserClient c, long ca, int port) {
        return c.queryPort(ca, port).getInt(UserRecords.QueryPortOut.LID);
    }

    @Test
    public void everyIoctlMakesItsRoundTrip() {
        UserClient c = open("harness");
        UserClient.Ca[] cas = c.queryCas();
        assertEquals(2, cas.length);
        assertEquals(rig.hcas.hardware("hca0").config().nodeGuid(), cas[0].guid());
        assertEquals("hca0", cas[0].name());
        assertEquals(2, cas[0].ports());
        assertEquals(rig.hcas.hardware("hca1").config().nodeGuid(), cas[1].guid());
        assertEquals("hca1", cas[1].name());

        ByteBuffer port = c.queryPort(hca1, 2);
        assertEquals(2, port.getInt(UserRecords.QueryPortOut.PORT));
        assertEquals("ACTIVE", 3, port.getInt(UserRecords.QueryPortOut.STATE));
        assertEquals(rig.hcas.hardware("hca1").config().portGuid(2), port.getLong(UserRecords.QueryPortOut.PORT_GUID));
        assertEquals(rig.ca("hca1").ports().get(1).lid(), port.getInt(UserRecords.QueryPortOut.LID));
        assertEquals(0xfe80000000000000L, port.getLong(UserRecords.QueryPortOut.GID_PREFIX));
        assertEquals(UserRecords.QueryPortOut.SIZE, port.remaining());

        int lid0 = lid(c, hca0, 1);
        int lid1 = lid(c, hca1, 1);
        // UD: hca0 port 1 sends a datagram through its AH to a QP on hca1 port 1
        Objects a = make(c, hca0, UserRecords.CreateQpIn.TYPE_UD, lid1);
        Objects b = make(c, hca1, UserRecords.CreateQpIn.TYPE_UD, lid0);
        assertEquals(1, inUse("hca0", "QP"));
        assertEquals(1, inUse("hca1", "MR"));
        udToRts(c, a.qp);
        udToRts(c, b.qp);
        assertEquals("an empty CQ", 0, c.poll(b.cq, 4).getInt(UserRecords.PollCqOut.COUNT));
        assertEquals("header only", UserRecords.PollCqOut.HEADER_SIZE, c.poll(b.cq, 4).remaining());
        assertStatus("POST_RECV", NtStatus.SUCCESS, c.postRecv(b.qp, 77, BUFFER_VA, 2048, b.lkey));
        assertStatus("POST_SEND UD", NtStatus.SUCCESS, c.postSend(UserClient.sendIn(a.qp, 55, 0, BUFFER_VA, 64, a.lkey)
                .putLong(UserRecords.PostSendIn.AH, a.ah).putInt(UserRecords.PostSendIn.REMOTE_QPN, b.qpn)
                .putInt(UserRecords.PostSendIn.REMOTE_QKEY, QKEY)));
        ByteBuffer sent = c.pollOne(a.cq, "the UD send's completion");
        assertEquals(55, sent.getLong(UserRecords.WorkCompletionRecord.WR_ID));
        assertEquals(WC_SUCCESS, sent.getInt(UserRecords.WorkCompletionRecord.STATUS));
        assertEquals(WC_SEND, sent.getInt(UserRecords.WorkCompletionRecord.OPCODE));
        ByteBuffer received = c.pollOne(b.cq, "the UD receive's completion");
        assertEquals(77, received.getLong(UserRecords.WorkCompletionRecord.WR_ID));
        assertEquals(WC_SUCCESS, received.getInt(UserRecords.WorkCompletionRecord.STATUS));
        assertEquals(WC_RECV, received.getInt(UserRecords.WorkCompletionRecord.OPCODE));
        assertEquals("the GRH space and the payload", 40 + 64, received.getInt(UserRecords.WorkCompletionRecord.BYTE_LENGTH));
        assertEquals(a.qpn, received.getInt(UserRecords.WorkCompletionRecord.SOURCE_QP));
        assertEquals(lid0, received.getInt(UserRecords.WorkCompletionRecord.SOURCE_LID));
        assertEquals(b.qpn, received.getInt(UserRecords.WorkCompletionRecord.QP_NUMBER));

        // RC: a connected pair across the two HCAs, brought to RTS with every attribute; a SEND
        long[] rcA = c.createQp(a.pd, a.cq, UserRecords.CreateQpIn.TYPE_RC);
        long[] rcB = c.createQp(b.pd, b.cq, UserRecords.CreateQpIn.TYPE_RC);
        rcToRts(c, rcA[0], lid1, (int) rcB[1]);
        rcToRts(c, rcB[0], lid0, (int) rcA[1]);
        assertStatus("POST_RECV RC", NtStatus.SUCCESS, c.postRecv(rcB[0], 78, BUFFER_VA + 2048, 1024, b.lkey));
        assertStatus("POST_SEND RC", NtStatus.SUCCESS, c.postSend(UserClient.sendIn(rcA[0], 56, 0, BUFFER_VA, 100, a.lkey)));
        assertEquals(56, c.pollOne(a.cq, "the RC send's completion").getLong(UserRecords.WorkCompletionRecord.WR_ID));
        ByteBuffer rcReceived = c.pollOne(b.cq, "the RC receive's completion");
        assertEquals(WC_SUCCESS, rcReceived.getInt(UserRecords.WorkCompletionRecord.STATUS));
        assertEquals(100, rcReceived.getInt(UserRecords.WorkCompletionRecord.BYTE_LENGTH));
        assertStatus("DESTROY_QP RC", NtStatus.SUCCESS, c.destroy(IbalUserIoctl.DESTROY_QP, rcA[0]));
        assertStatus("DESTROY_QP RC", NtStatus.SUCCESS, c.destroy(IbalUserIoctl.DESTROY_QP, rcB[0]));

        destroyAll(c, a);
        destroyAll(c, b);
        assertNoClientObjects();
        c.close();
        rig.assertClean();
    }

    @Test
    public void aQpInErrorFlushesItsReceivesToThePoller() {
        UserClient c = open("harness");
        Objects o = make(c, hca0, UserRecords.CreateQpIn.TYPE_UD, 3);
        udToRts(c, o.qp);
        assertStatus("POST_RECV", NtStatus.SUCCESS, c.postRecv(o.qp, 1, BUFFER_VA, 256, o.lkey));
        assertStatus("POST_RECV", NtStatus.SUCCESS, c.postRecv(o.qp, 2, BUFFER_VA + 256, 256, o.lkey));
        assertStatus("RTS->ERR", NtStatus.SUCCESS, c.modify(UserClient.modifyIn(o.qp, 0, ERR)));
        // an output too small for the entries asked for is refused before the CQ is touched
        IoResult tooSmall = c.call(IbalUserIoctl.POLL_CQ, UserClient.pollIn(o.cq, 4), UserRecords.PollCqOut.size(3));
        assertStatus("POLL_CQ, output for 3 of 4", NtStatus.BUFFER_TOO_SMALL, tooSmall);
        assertEquals("the length needed", UserRecords.PollCqOut.size(4), tooSmall.information());
        int[] flushed = new int[2];
        IbalRig.eventually(() -> {
            ByteBuffer out = c.poll(o.cq, 4);
            int n = out.getInt(UserRecords.PollCqOut.COUNT);
            for (int i = 0; i < n; i++) {
                int at = UserRecords.PollCqOut.HEADER_SIZE + i * UserRecords.WorkCompletionRecord.SIZE;
                assertEquals(WC_WR_FLUSH_ERR, out.getInt(at + UserRecords.WorkCompletionRecord.STATUS));
                flushed[(int) out.getLong(at + UserRecords.WorkCompletionRecord.WR_ID) - 1]++;
            }
            return flushed[0] + flushed[1] == 2;
        }, "both receives flushed");
        assertEquals("each receive once", 1, flushed[0]);
        assertEquals("each receive once", 1, flushed[1]);
        assertEquals(0, c.poll(o.cq, 4).getInt(UserRecords.PollCqOut.COUNT));
        destroyAll(c, o);
        c.close();
        assertNoClientObjects();
        rig.assertClean();
    }

    @Test
    public void anotherOpenersHandlesCannotBeUsedQueriedOrDestroyed() {
        UserClient mine = open("first");
        UserClient other = open("second");
        Objects o = make(mine, hca0, UserRecords.CreateQpIn.TYPE_UD, 3);
        long otherPd = other.createPd(hca0);
        long otherCq = other.createCq(hca0, 4);
        assertNotEquals("handle values are per file", o.pd, otherPd);

        assertStatus("DESTROY_PD of another's PD", NtStatus.INVALID_HANDLE, other.destroy(IbalUserIoctl.DESTROY_PD, o.pd));
        assertStatus("DESTROY_QP of another's QP", NtStatus.INVALID_HANDLE, other.destroy(IbalUserIoctl.DESTROY_QP, o.qp));
        assertStatus("DEREG_MR of another's MR", NtStatus.INVALID_HANDLE, other.destroy(IbalUserIoctl.DEREG_MR, o.mr));
        assertStatus("POLL_CQ of another's CQ", NtStatus.INVALID_HANDLE,
                other.call(IbalUserIoctl.POLL_CQ, UserClient.pollIn(o.cq, 1), UserRecords.PollCqOut.size(1)));
        assertStatus("MODIFY_QP of another's QP", NtStatus.INVALID_HANDLE, other.modify(UserClient.modifyIn(o.qp, 0, ERR)));
        assertStatus("a QP in another's PD", NtStatus.INVALID_HANDLE, other.call(IbalUserIoctl.CREATE_QP,
                UserClient.qpIn(o.pd, otherCq, otherCq, UserRecords.CreateQpIn.TYPE_UD), UserRecords.CreateQpOut.SIZE));
        assertStatus("a QP on another's CQ", NtStatus.INVALID_HANDLE, other.call(IbalUserIoctl.CREATE_QP,
                UserClient.qpIn(otherPd, o.cq, otherCq, UserRecords.CreateQpIn.TYPE_UD), UserRecords.CreateQpOut.SIZE));
        assertStatus("POST_RECV on another's QP", NtStatus.INVALID_HANDLE, other.postRecv(o.qp, 1, BUFFER_VA, 64, o.lkey));
        assertStatus("an AH of another's in a send", NtStatus.INVALID_HANDLE,
                other.postSend(UserClient.sendIn(o.qp, 1, 0, 0, 0, 0).putLong(UserRecords.PostSendIn.AH, o.ah)));
        // the I/O manager's own check: a user-mode handle is usable only by its owner
        IoStatusException foreignFile = HcaTestRig.failure(other.io.deviceIoControl(other.owner, mine.file,
                IbalUserIoctl.QUERY_CAS, null, 1024), "the first's file object used by the second");
        assertStatus("another owner's file object", NtStatus.INVALID_HANDLE, foreignFile.status());

        // nothing of the first's changed, and it still uses everything
        assertEquals(2, inUse("hca0", "PD"));
        assertEquals(1, inUse("hca0", "QP"));
        assertEquals(0, mine.poll(o.cq, 1).getInt(UserRecords.PollCqOut.COUNT));
        destroyAll(mine, o);
        // and the first can touch none of the second's
        assertStatus("the second's PD", NtStatus.INVALID_HANDLE, mine.destroy(IbalUserIoctl.DESTROY_PD, otherPd));
        other.close();
        mine.close();
        assertNoClientObjects();
        rig.assertClean();
    }

    @Test
    public void closingTheFileDestroysEverythingItOwnedChildrenFirst() {
        UserClient c = open("harness");
        UserClient bystander = open("bystander");
        Objects a = make(c, hca0, UserRecords.CreateQpIn.TYPE_UD, 3);
        Objects b = make(c, hca1, UserRecords.CreateQpIn.TYPE_UD, 1);
        udToRts(c, a.qp);
        assertStatus("POST_RECV", NtStatus.SUCCESS, c.postRecv(a.qp, 1, BUFFER_VA, 256, a.lkey));
        c.createQp(b.pd, b.cq, UserRecords.CreateQpIn.TYPE_RC);
        long kept = bystander.createPd(hca1);
        assertEquals(2, inUse("hca1", "PD"));
        assertEquals(2, inUse("hca1", "QP"));
        // the trees are IBAL's: a parent with children is refused while the file is open
        assertStatus("DESTROY_PD with a QP, MR and AH on it", NtStatus.DEVICE_BUSY,
                c.destroy(IbalUserIoctl.DESTROY_PD, a.pd));
        assertStatus("DESTROY_CQ with QPs on it", NtStatus.DEVICE_BUSY, c.destroy(IbalUserIoctl.DESTROY_CQ, b.cq));
        List<IbalObjects> trees = rig.core().objects();
        assertEquals("the file's tree on each CA, and the bystander's: " + trees, 3, trees.size());

        c.close();
        for (String r : RESOURCES) {
            assertEquals("hca0 " + r, 0, inUse("hca0", r));
        }
        assertEquals("the bystander's PD stays", 1, inUse("hca1", "PD"));
        assertEquals(0, inUse("hca1", "QP"));
        assertEquals(0, inUse("hca1", "CQ"));
        assertEquals(0, inUse("hca1", "MR"));
        assertEquals(0, inUse("hca1", "AH"));
        assertEquals("only the bystander's tree: " + rig.core().objects(), 1, rig.core().objects().size());
        IoStatusException closed = HcaTestRig.failure(c.send(IbalUserIoctl.QUERY_CAS, null, 1024), "a closed file");
        assertStatus("a closed file", NtStatus.INVALID_HANDLE, closed.status());
        assertStatus("the bystander's PD", NtStatus.SUCCESS, bystander.destroy(IbalUserIoctl.DESTROY_PD, kept));
        bystander.close();
        assertNoClientObjects();
        assertEquals(0, rig.core().userPath().openFiles());
        rig.assertClean();
    }

    @Test
    public void aRequestInFlightWhenTheFileClosesCompletesAndLeavesNothingBehind() {
        UserClient c = open("harness");
        long pd = c.createPd(hca0);
        SoftHca hardware = rig.hcas.hardware("hca0");
        hardware.stallFirmware();
        Promise<IoResult> cq;
        Promise<IoResult> mr;
        Promise<Void> closing;
        try {
            cq = c.send(IbalUserIoctl.CREATE_CQ, UserClient.cqIn(hca0, 8), UserRecords.CreateCqOut.SIZE);
            mr = c.send(IbalUserIoctl.REG_MR, UserClient.mrIn(pd, BUFFER_VA, 8192, AccessFlags.LOCAL_WRITE),
                    UserRecords.RegMrOut.SIZE);
            assertFalse("CREATE_CQ is held by the stalled firmware", cq.isDone());
            assertFalse("REG_MR is held by the stalled firmware", mr.isDone());
            closing = rig.hcas.io.close(c.file);
            // CLEANUP cancelled the file's requests at once; its destroys wait for the HCA's answers
            assertStatus("CREATE_CQ of a closing file", NtStatus.CANCELLED, HcaTestRig.await(cq, "CREATE_CQ"));
            assertStatus("REG_MR of a closing file", NtStatus.CANCELLED, HcaTestRig.await(mr, "REG_MR"));
            assertFalse("CLEANUP waits for the creates in flight", closing.isDone());
        } finally {
            hardware.resumeFirmware();
        }
        HcaTestRig.await(closing, "closing the file");
        // the CQ and MR the HCA made after their callers were gone were destroyed with the PD
        assertNoClientObjects();
        assertTrue(rig.core().objects().isEmpty());
        rig.assertClean();
    }

    @Test
    public void everyBadBufferGetsItsOwnStatus() {
        UserClient c = open("harness");
        Objects o = make(c, hca0, UserRecords.CreateQpIn.TYPE_UD, 3);
        long cq1 = c.createCq(hca1, 4);
        int unknown = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_INFINIBAND, 0xA40, IoctlCode.METHOD_BUFFERED,
                IoctlCode.FILE_ANY_ACCESS);

        // the IOCTL and the lengths
        assertStatus("an unknown IOCTL", NtStatus.INVALID_DEVICE_REQUEST, c.call(unknown, null, 0));
        assertStatus("CREATE_PD, 7 bytes in", NtStatus.INFO_LENGTH_MISMATCH,
                c.call(IbalUserIoctl.CREATE_PD, UserClient.record(7), UserRecords.HandleOut.SIZE));
        assertStatus("CREATE_PD, 9 bytes in", NtStatus.INVALID_BUFFER_SIZE,
                c.call(IbalUserIoctl.CREATE_PD, UserClient.record(9).putLong(0, hca0), UserRecords.HandleOut.SIZE));
        assertStatus("QUERY_CAS takes no input", NtStatus.INVALID_BUFFER_SIZE,
                c.call(IbalUserIoctl.QUERY_CAS, UserClient.record(4), 1024));
        assertStatus("MODIFY_QP, 79 bytes in", NtStatus.INFO_LENGTH_MISMATCH,
                c.call(IbalUserIoctl.MODIFY_QP, UserClient.record(79), 0));
        IoResult shortOut = c.call(IbalUserIoctl.CREATE_PD, UserClient.caIn(hca0), 7);
        assertStatus("CREATE_PD, 7 bytes out", NtStatus.BUFFER_TOO_SMALL, shortOut);
        assertEquals("the length needed", UserRecords.HandleOut.SIZE, shortOut.information());
        IoResult casOut = c.call(IbalUserIoctl.QUERY_CAS, null, UserRecords.QueryCasOut.HEADER_SIZE + UserRecords.Ca.SIZE);
        assertStatus("QUERY_CAS, room for one of two CAs", NtStatus.BUFFER_TOO_SMALL, casOut);
        assertEquals(UserRecords.QueryCasOut.HEADER_SIZE + 2 * UserRecords.Ca.SIZE, casOut.information());
        assertEquals("nothing was made for the short buffers", 1, inUse("hca0", "PD"));

        // the handles
        assertStatus("a handle never given", NtStatus.INVALID_HANDLE, c.destroy(IbalUserIoctl.DESTROY_PD, 0x0100_0000_0000_0999L));
        assertStatus("handle 0", NtStatus.INVALID_HANDLE, c.destroy(IbalUserIoctl.DESTROY_CQ, 0));
        assertStatus("a PD's value with the CQ type byte", NtStatus.INVALID_HANDLE,
                c.destroy(IbalUserIoctl.DESTROY_CQ, (o.pd & ~(0xFFL << 56)) | ((long) Handle.CQ << 56)));
        assertStatus("DESTROY_PD of a CQ", NtStatus.OBJECT_TYPE_MISMATCH, c.destroy(IbalUserIoctl.DESTROY_PD, o.cq));
        assertStatus("DESTROY_AH of an MR", NtStatus.OBJECT_TYPE_MISMATCH, c.destroy(IbalUserIoctl.DESTROY_AH, o.mr));
        assertStatus("POLL_CQ of a QP", NtStatus.OBJECT_TYPE_MISMATCH,
                c.call(IbalUserIoctl.POLL_CQ, UserClient.pollIn(o.qp, 1), UserRecords.PollCqOut.size(1)));
        assertStatus("CREATE_QP with a CQ as its PD", NtStatus.OBJECT_TYPE_MISMATCH, c.call(IbalUserIoctl.CREATE_QP,
                UserClient.qpIn(o.cq, o.cq, o.cq, UserRecords.CreateQpIn.TYPE_UD), UserRecords.CreateQpOut.SIZE));
        assertStatus("MODIFY_QP of an AH", NtStatus.OBJECT_TYPE_MISMATCH, c.modify(UserClient.modifyIn(o.ah, 0, ERR)));
        assertStatus("an MR as the AH of a send", NtStatus.OBJECT_TYPE_MISMATCH,
                c.postSend(UserClient.sendIn(o.qp, 1, 0, 0, 0, 0).putLong(UserRecords.PostSendIn.AH, o.mr)));
        assertStatus("a QP on another CA's CQ", NtStatus.invalidParameter(2), c.call(IbalUserIoctl.CREATE_QP,
                UserClient.qpIn(o.pd, cq1, o.cq, UserRecords.CreateQpIn.TYPE_UD), UserRecords.CreateQpOut.SIZE));
        assertStatus("an unknown CA", NtStatus.NO_SUCH_DEVICE,
                c.call(IbalUserIoctl.CREATE_PD, UserClient.caIn(0x1234), UserRecords.HandleOut.SIZE));

        // the enums, flags and ranges: STATUS_INVALID_PARAMETER_<field>
        assertStatus("QP type 2", NtStatus.invalidParameter(4), c.call(IbalUserIoctl.CREATE_QP,
                UserClient.qpIn(o.pd, o.cq, o.cq, 2), UserRecords.CreateQpOut.SIZE));
        assertStatus("CREATE_QP flag 2", NtStatus.invalidParameter(9), c.call(IbalUserIoctl.CREATE_QP,
                UserClient.qpIn(o.pd, o.cq, o.cq, 1).putInt(UserRecords.CreateQpIn.FLAGS, 2), UserRecords.CreateQpOut.SIZE));
        assertStatus("an unknown attribute bit", NtStatus.invalidParameter(2),
                c.modify(UserClient.modifyIn(o.qp, 1 << 2, INIT)));
        assertStatus("QP state 7", NtStatus.invalidParameter(3), c.modify(UserClient.modifyIn(o.qp, 0, 7)));
        assertStatus("QP access bit 0x10", NtStatus.invalidParameter(4), c.modify(UserClient.modifyIn(o.qp,
                QpAttributes.ACCESS_FLAGS, INIT).putInt(UserRecords.ModifyQpIn.ACCESS_FLAGS, 0x10)));
        assertStatus("QP port 3 of 2", NtStatus.invalidParameter(6), c.modify(UserClient.modifyIn(o.qp,
                QpAttributes.PORT | QpAttributes.PKEY_INDEX | QpAttributes.QKEY, INIT).putInt(UserRecords.ModifyQpIn.PORT, 3)));
        assertStatus("path MTU 1000", NtStatus.invalidParameter(10), c.modify(UserClient.modifyIn(o.qp,
                QpAttributes.PATH_MTU, RTR).putInt(UserRecords.ModifyQpIn.PATH_MTU, 1000)));
        assertStatus("a transition the HCA refuses (RESET->RTS)", NtStatus.INVALID_PARAMETER,
                c.modify(UserClient.modifyIn(o.qp, 0, RTS)));
        assertStatus("MR access bit 0x20", NtStatus.invalidParameter(4),
                c.call(IbalUserIoctl.REG_MR, UserClient.mrIn(o.pd, BUFFER_VA, 64, 0x20), UserRecords.RegMrOut.SIZE));
        assertStatus("MR remote write without local write", NtStatus.invalidParameter(4), c.call(IbalUserIoctl.REG_MR,
                UserClient.mrIn(o.pd, BUFFER_VA, 64, AccessFlags.REMOTE_WRITE), UserRecords.RegMrOut.SIZE));
        assertStatus("MR of 0 bytes", NtStatus.invalidParameter(3),
                c.call(IbalUserIoctl.REG_MR, UserClient.mrIn(o.pd, BUFFER_VA, 0, 0), UserRecords.RegMrOut.SIZE));
        assertStatus("MR above the limit", NtStatus.invalidParameter(3), c.call(IbalUserIoctl.REG_MR,
                UserClient.mrIn(o.pd, BUFFER_VA, UserRecords.RegMrIn.MAX_LENGTH + 1, 0), UserRecords.RegMrOut.SIZE));
        assertStatus("MR wrapping past 2^64", NtStatus.invalidParameter(2),
                c.call(IbalUserIoctl.REG_MR, UserClient.mrIn(o.pd, -16L, 64, 0), UserRecords.RegMrOut.SIZE));
        assertStatus("MR reserved field", NtStatus.invalidParameter(5), c.call(IbalUserIoctl.REG_MR,
                UserClient.mrIn(o.pd, BUFFER_VA, 64, 0).putInt(UserRecords.RegMrIn.RESERVED, 1), UserRecords.RegMrOut.SIZE));
        assertStatus("AH port 0", NtStatus.invalidParameter(2),
                c.call(IbalUserIoctl.CREATE_AH, UserClient.ahIn(o.pd, 0, 3, 0), UserRecords.HandleOut.SIZE));
        assertStatus("AH LID 0", NtStatus.invalidParameter(3),
                c.call(IbalUserIoctl.CREATE_AH, UserClient.ahIn(o.pd, 1, 0, 0), UserRecords.HandleOut.SIZE));
        assertStatus("AH SL 16", NtStatus.invalidParameter(4),
                c.call(IbalUserIoctl.CREATE_AH, UserClient.ahIn(o.pd, 1, 3, 16), UserRecords.HandleOut.SIZE));
        assertStatus("QUERY_PORT port 3 of 2", NtStatus.invalidParameter(2),
                c.call(IbalUserIoctl.QUERY_PORT, c.queryPortIn(hca0, 3), UserRecords.QueryPortOut.SIZE));
        assertStatus("CQ of 0 entries", NtStatus.invalidParameter(2),
                c.call(IbalUserIoctl.CREATE_CQ, UserClient.cqIn(hca0, 0), UserRecords.CreateCqOut.SIZE));
        assertStatus("CQ reserved field", NtStatus.invalidParameter(3), c.call(IbalUserIoctl.CREATE_CQ,
                UserClient.cqIn(hca0, 4).putInt(UserRecords.CreateCqIn.RESERVED, 9), UserRecords.CreateCqOut.SIZE));
        assertStatus("POLL_CQ of 0", NtStatus.invalidParameter(2),
                c.call(IbalUserIoctl.POLL_CQ, UserClient.pollIn(o.cq, 0), UserRecords.PollCqOut.size(1)));
        assertStatus("POLL_CQ of 65", NtStatus.invalidParameter(2),
                c.call(IbalUserIoctl.POLL_CQ, UserClient.pollIn(o.cq, 65), UserRecords.PollCqOut.size(65)));
        assertStatus("send opcode 7", NtStatus.invalidParameter(3),
                c.postSend(UserClient.sendIn(o.qp, 1, 7, BUFFER_VA, 8, o.lkey)));
        assertStatus("send flag INLINE", NtStatus.invalidParameter(4),
                c.postSend(UserClient.sendIn(o.qp, 1, 0, BUFFER_VA, 8, o.lkey).putInt(UserRecords.PostSendIn.FLAGS, 8)));
        assertStatus("a send on a QP in RESET: the HCA's own status, passed through", NtStatus.INVALID_PARAMETER,
                c.postSend(UserClient.sendIn(o.qp, 1, 0, BUFFER_VA, 8, o.lkey).putLong(UserRecords.PostSendIn.AH, o.ah)));

        // nothing the refusals touched changed
        assertEquals(1, inUse("hca0", "PD"));
        assertEquals(1, inUse("hca0", "QP"));
        assertEquals(1, inUse("hca0", "MR"));
        assertEquals(1, inUse("hca0", "AH"));
        destroyAll(c, o);
        assertStatus("a destroyed handle", NtStatus.INVALID_HANDLE, c.destroy(IbalUserIoctl.DESTROY_QP, o.qp));
        c.close();
        assertNoClientObjects();
        rig.assertClean();
    }

    @Test
    public void aReadOnlyHandleQueriesButCreatesNothing() {
        UserClient reader = UserClient.open(rig.hcas.io, ibalDevice(), "reader", IoctlCode.FILE_READ_ACCESS);
        assertEquals(2, reader.queryCas().length);
        IoStatusException denied = HcaTestRig.failure(reader.send(IbalUserIoctl.CREATE_PD, UserClient.caIn(hca0),
                UserRecords.HandleOut.SIZE), "CREATE_PD on a read-only handle");
        assertStatus("CREATE_PD on a read-only handle", NtStatus.ACCESS_DENIED, denied.status());
        reader.close();
        assertNoClientObjects();
        rig.assertClean();
    }

    @Test
    public void anHcaLeavingTakesTheFilesObjectsOnItAndLeavesTheRest() {
        UserClient c = open("harness");
        Objects gone = make(c, hca0, UserRecords.CreateQpIn.TYPE_UD, 3);
        Objects kept = make(c, hca1, UserRecords.CreateQpIn.TYPE_UD, 1);
        rig.hcas.unplug("hca0");
        rig.settle();
        assertStatus("MODIFY_QP on the gone HCA", NtStatus.DEVICE_REMOVED, c.modify(UserClient.modifyIn(gone.qp, 0, ERR)));
        assertStatus("DESTROY_AH on the gone HCA", NtStatus.DEVICE_REMOVED, c.destroy(IbalUserIoctl.DESTROY_AH, gone.ah));
        assertStatus("POLL_CQ on the gone HCA", NtStatus.DEVICE_REMOVED,
                c.call(IbalUserIoctl.POLL_CQ, UserClient.pollIn(gone.cq, 1), UserRecords.PollCqOut.size(1)));
        assertStatus("CREATE_PD on the gone HCA", NtStatus.NO_SUCH_DEVICE,
                c.call(IbalUserIoctl.CREATE_PD, UserClient.caIn(hca0), UserRecords.HandleOut.SIZE));
        assertEquals("only hca1 is listed", 1, c.queryCas().length);
        // hca1's objects never noticed
        udToRts(c, kept.qp);
        assertEquals(0, c.poll(kept.cq, 1).getInt(UserRecords.PollCqOut.COUNT));
        assertEquals(1, inUse("hca1", "QP"));
        c.close();
        for (String r : RESOURCES) {
            assertEquals("hca1 " + r, 0, inUse("hca1", r));
        }
        assertTrue(rig.core().objects().isEmpty());
        rig.assertClean();
    }

    @Test
    public void ibalStoppingWithFilesOpenDestroysWhatTheyMade() {
        UserClient c = open("harness");
        make(c, hca0, UserRecords.CreateQpIn.TYPE_UD, 3);
        make(c, hca1, UserRecords.CreateQpIn.TYPE_RC, 1);
        rig.stopIbal();
        for (String ca : List.of("hca0", "hca1")) {
            for (String r : RESOURCES) {
                // IBAL's MAD services are stopped too: the HCA's own counts are the clients'
                IbalRig.eventually(() -> rig.hcas.hcaDevice(ca).statistics().resources().get(r).inUse() == 0,
                        ca + "'s " + r + "s destroyed");
            }
        }
        // the file outlived the device: closing it settles (the device is gone), it does not hang
        Promise<Void> closing = rig.hcas.io.close(c.file);
        IbalRig.eventually(closing::isDone, "closing a file whose device was removed");
        rig.assertClean();
    }

    @Test
    public void userModeRequestsNeverReachInternalIoctls() {
        DeviceObject child = rig.child("hca0", 1).device();
        for (DeviceObject device : List.of(ibalDevice(), child)) {
            Irp irp = Irp.forDevice(device).setRequestorMode(RequestorMode.USER);
            irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL).setIoControlCode(VerbsIoctl.QUERY_CA)
                    .setArgument(new VerbsRequest.QueryCa());
            Irp done = HcaTestRig.await(rig.hcas.io.submit(device, irp), "a user-mode internal request to " + device.name());
            assertStatus("a user-mode internal request to " + device.name(), NtStatus.ACCESS_DENIED, done.status());
        }
        // the same request from the kernel goes through as before
        Irp kernel = Irp.forDevice(child);
        VerbsRequest.QueryCa query = new VerbsRequest.QueryCa();
        kernel.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL).setIoControlCode(VerbsIoctl.QUERY_CA)
                .setArgument(query);
        assertStatus("a kernel-mode QUERY_CA on the port child", NtStatus.DEVICE_NOT_READY,
                HcaTestRig.await(rig.hcas.io.submit(child, kernel), "kernel QUERY_CA").status());
        // (no driver stack runs on the child in this test: the port child says so, as before)
        rig.assertClean();
    }
}
