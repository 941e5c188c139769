package org.irpverbs.softhca.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.AsyncEventType;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WorkCompletion;
import org.irpverbs.verbs.WrOpcode;
import org.junit.Before;
import org.junit.Test;

/**
 * Every protection check, local and remote: the right completion status, the target memory
 * unchanged, and the QPs in ERR afterwards as IB requires. Each case uses a fresh QP pair.
 */
public class ProtectionTest extends EngineTestBase {
    static final int CQ = 1;
    TestHca a;
    TestHca b;
    TestHca.Region aBuf;
    TestHca.Region bBuf;
    int nextQp = 0x40;

    @Before
    public void setUp() {
        a = tavor("a", 1);
        b = memFree("b", 2);
        a.cq(CQ, 512);
        b.cq(CQ, 512);
        aBuf = a.region(64 * 1024, TestHca.ALL);
        bBuf = b.region(64 * 1024, TestHca.ALL);
        for (int i = 0; i < 64 * 1024; i++) {
            aBuf.memory().put(i, (byte) i);
        }
    }

    /** A fresh connected pair; the responder QP gets {@code responderAccess}. Returns {qpA, qpB}. */
    int[] pair(int responderAccess) {
        int qa = nextQp++;
        int qb = nextQp++;
        a.rcQp(qa, CQ, TestHca.ALL, 16, true);
        b.rcQp(qb, CQ, responderAccess, 16, true);
        a.connect(qa, b, qb, TestHca.RcOptions.defaults());
        return new int[] {qa, qb};
    }

    /** A snapshot of a region's bytes, to prove a refused access changed nothing. */
    static byte[] snapshot(TestHca.Region r) {
        byte[] copy = new byte[r.memory().capacity()];
        r.memory().get(0, copy);
        return copy;
    }

    static void assertUnchanged(byte[] before, TestHca.Region r) {
        byte[] now = snapshot(r);
        for (int i = 0; i < now.length; i++) {
            if (before[i] != now[i]) {
                throw new AssertionError("target memory changed at byte " + i);
            }
        }
    }

    WorkCompletion remote(WrOpcode op, int qa, long remoteAddress, int rkey, int len) {
        SendWorkRequest s = new SendWorkRequest();
        s.wrId = 1;
        s.opcode = op;
        s.sgl.add(aBuf.va(), len, aBuf.lkey());
        s.remoteAddress = remoteAddress;
        s.rkey = rkey;
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(qa, s, 0));
        return one(a.poll(CQ, 1));
    }

    void expectRemoteAccessError(WrOpcode op, int responderAccess, long remoteAddress, int rkey, int len) {
        int[] q = pair(responderAccess);
        byte[] before = snapshot(bBuf);
        byte[] localBefore = snapshot(aBuf);
        WorkCompletion wc = remote(op, q[0], remoteAddress, rkey, len);
        assertSame(op + " " + Integer.toHexString(rkey), WcStatus.REM_ACCESS_ERR, wc.status);
        assertUnchanged(before, bBuf);
        if (op == WrOpcode.RDMA_READ) {
            assertUnchanged(localBefore, aBuf);
        }
        assertSame(QpState.ERR, a.qpState(q[0]));
        assertSame("the responder's QP goes to ERR too", QpState.ERR, b.qpState(q[1]));
        assertTrue(b.awaitEvent(AsyncEventType.QP_FATAL, 1000));
        b.asyncEvents.clear();
    }

    @Test
    public void badRkey() {
        expectRemoteAccessError(WrOpcode.RDMA_WRITE, TestHca.ALL, bBuf.va(), (77 << 8) | 1, 100);
        expectRemoteAccessError(WrOpcode.RDMA_READ, TestHca.ALL, bBuf.va(), (77 << 8) | 1, 100);
        expectRemoteAccessError(WrOpcode.ATOMIC_FETCH_AND_ADD, TestHca.ALL, bBuf.va(), (77 << 8) | 1, 8);
        assertTrue(b.hw.transportStatistics().remoteAccessErrors() >= 3);
    }

    @Test
    public void rkeyWithTheWrongTag() {
        int wrongTag = bBuf.rkey() ^ 0x01;
        expectRemoteAccessError(WrOpcode.RDMA_WRITE, TestHca.ALL, bBuf.va(), wrongTag, 100);
        expectRemoteAccessError(WrOpcode.RDMA_READ, TestHca.ALL, bBuf.va(), wrongTag, 100);
    }

    @Test
    public void remoteOutOfBounds() {
        long end = bBuf.va() + bBuf.memory().capacity();
        expectRemoteAccessError(WrOpcode.RDMA_WRITE, TestHca.ALL, end - 50, bBuf.rkey(), 100);
        expectRemoteAccessError(WrOpcode.RDMA_WRITE, TestHca.ALL, bBuf.va() - 1, bBuf.rkey(), 10);
        expectRemoteAccessError(WrOpcode.RDMA_READ, TestHca.ALL, end - 4000, bBuf.rkey(), 5000);
        expectRemoteAccessError(WrOpcode.ATOMIC_CMP_AND_SWP, TestHca.ALL, end, bBuf.rkey(), 8);
        // a multi-packet write whose end is outside: refused before its first byte lands
        expectRemoteAccessError(WrOpcode.RDMA_WRITE, TestHca.ALL, end - 10_000, bBuf.rkey(), 20_000);
    }

    @Test
    public void regionWithoutTheRemoteRight() {
        TestHca.Region readOnly = b.region(4096, AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_READ);
        TestHca.Region writeOnly = b.region(4096, AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_WRITE);
        byte[] before = snapshot(readOnly);
        expectRemoteAccessError(WrOpcode.RDMA_WRITE, TestHca.ALL, readOnly.va(), readOnly.rkey(), 64);
        assertUnchanged(before, readOnly);
        expectRemoteAccessError(WrOpcode.RDMA_READ, TestHca.ALL, writeOnly.va(), writeOnly.rkey(), 64);
        expectRemoteAccessError(WrOpcode.ATOMIC_FETCH_AND_ADD, TestHca.ALL, writeOnly.va(), writeOnly.rkey(), 8);
        assertUnchanged(before, readOnly);
    }

    @Test
    public void qpWithoutTheRemoteRight() {
        expectRemoteAccessError(WrOpcode.RDMA_WRITE, AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_READ, bBuf.va(),
                bBuf.rkey(), 64);
        expectRemoteAccessError(WrOpcode.RDMA_READ, AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_WRITE, bBuf.va(),
                bBuf.rkey(), 64);
        expectRemoteAccessError(WrOpcode.ATOMIC_CMP_AND_SWP, AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_WRITE,
                bBuf.va(), bBuf.rkey(), 8);
    }

    @Test
    public void remotePdMismatch() {
        TestHca.Region otherPd = b.region(4096, TestHca.ALL, 2);
        byte[] before = snapshot(otherPd);
        expectRemoteAccessError(WrOpcode.RDMA_WRITE, TestHca.ALL, otherPd.va(), otherPd.rkey(), 64);
        expectRemoteAccessError(WrOpcode.RDMA_READ, TestHca.ALL, otherPd.va(), otherPd.rkey(), 64);
        assertUnchanged(before, otherPd);
    }

    @Test
    public void deregisteredRegion() {
        b.ok(new Command.Hw2SwMpt(bBuf.index()));
        expectRemoteAccessError(WrOpcode.RDMA_WRITE, TestHca.ALL, bBuf.va(), bBuf.rkey(), 64);
    }

    @Test
    public void misalignedAtomicIsAnInvalidRequest() {
        int[] q = pair(TestHca.ALL);
        byte[] before = snapshot(bBuf);
        WorkCompletion wc = remote(WrOpcode.ATOMIC_FETCH_AND_ADD, q[0], bBuf.va() + 4, bBuf.rkey(), 8);
        assertSame(WcStatus.REM_INV_REQ_ERR, wc.status);
        assertUnchanged(before, bBuf);
    }

    WorkCompletion localError(SendWorkRequest s) {
        int[] q = pair(TestHca.ALL);
        ReceiveWorkRequest rr = new ReceiveWorkRequest();
        rr.sgl.add(bBuf.va(), 4096, bBuf.lkey());
        b.hw.dataPath().postReceive(q[1], rr);
        s.remoteAddress = bBuf.va();
        s.rkey = bBuf.rkey();
        byte[] before = snapshot(bBuf);
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(q[0], s, 0));
        SendWorkRequest next = new SendWorkRequest();
        next.wrId = 99;
        a.hw.dataPath().postSend(q[0], next, 0);
        List<WorkCompletion> got = a.poll(CQ, 2);
        assertEquals(got.toString(), 2, got.size());
        assertSame("what follows is flushed", WcStatus.WR_FLUSH_ERR, got.get(1).status);
        assertUnchanged(before, bBuf);
        assertSame(QpState.ERR, a.qpState(q[0]));
        return got.get(0);
    }

    SendWorkRequest send(WrOpcode op, long va, int len, int lkey) {
        SendWorkRequest s = new SendWorkRequest();
        s.wrId = 1;
        s.opcode = op;
        s.sgl.add(va, len, lkey);
        return s;
    }

    @Test
    public void badLkey() {
        assertSame(WcStatus.LOC_PROT_ERR, localError(send(WrOpcode.SEND, aBuf.va(), 100, (99 << 8) | 3)).status);
        assertSame(WcStatus.LOC_PROT_ERR, localError(send(WrOpcode.RDMA_WRITE, aBuf.va(), 100, aBuf.lkey() ^ 0x80)).status);
    }

    @Test
    public void localOutOfBounds() {
        long end = aBuf.va() + aBuf.memory().capacity();
        assertSame(WcStatus.LOC_PROT_ERR, localError(send(WrOpcode.SEND, end - 10, 100, aBuf.lkey())).status);
        assertSame(WcStatus.LOC_PROT_ERR, localError(send(WrOpcode.RDMA_WRITE, aBuf.va() - 8, 100, aBuf.lkey())).status);
    }

    @Test
    public void localPdMismatch() {
        TestHca.Region otherPd = a.region(4096, TestHca.ALL, 2);
        assertSame(WcStatus.LOC_PROT_ERR, localError(send(WrOpcode.SEND, otherPd.va(), 100, otherPd.lkey())).status);
    }

    @Test
    public void readIntoARegionWithoutLocalWrite() {
        TestHca.Region noLocalWrite = a.region(4096, AccessFlags.REMOTE_READ);
        byte[] before = snapshot(noLocalWrite);
        assertSame(WcStatus.LOC_PROT_ERR, localError(send(WrOpcode.RDMA_READ, noLocalWrite.va(), 100,
                noLocalWrite.lkey())).status);
        assertSame(WcStatus.LOC_PROT_ERR, localError(send(WrOpcode.ATOMIC_FETCH_AND_ADD, noLocalWrite.va(), 8,
                noLocalWrite.lkey())).status);
        assertUnchanged(before, noLocalWrite);
    }

    @Test
    public void receiveBufferWithoutLocalWrite() {
        int[] q = pair(TestHca.ALL);
        TestHca.Region noLocalWrite = b.region(4096, 0);
        byte[] before = snapshot(noLocalWrite);
        ReceiveWorkRequest rr = new ReceiveWorkRequest();
        rr.wrId = 5;
        rr.sgl.add(noLocalWrite.va(), 4096, noLocalWrite.lkey());
        b.hw.dataPath().postReceive(q[1], rr);
        rr.wrId = 6;
        b.hw.dataPath().postReceive(q[1], rr);
        WorkCompletion wc = remote(WrOpcode.SEND, q[0], 0, 0, 100);
        assertSame(WcStatus.REM_OP_ERR, wc.status);
        List<WorkCompletion> recv = b.poll(CQ, 2);
        assertSame(WcStatus.LOC_PROT_ERR, recv.get(0).status);
        assertEquals(5, recv.get(0).wrId);
        assertSame(WcStatus.WR_FLUSH_ERR, recv.get(1).status);
        assertUnchanged(before, noLocalWrite);
        assertSame(QpState.ERR, b.qpState(q[1]));
    }

    @Test
    public void receiveBufferTooSmall() {
        int[] q = pair(TestHca.ALL);
        ReceiveWorkRequest rr = new ReceiveWorkRequest();
        rr.wrId = 5;
        rr.sgl.add(bBuf.va(), 64, bBuf.lkey());
        b.hw.dataPath().postReceive(q[1], rr);
        WorkCompletion wc = remote(WrOpcode.SEND, q[0], 0, 0, 100);
        assertSame(WcStatus.REM_INV_REQ_ERR, wc.status);
        WorkCompletion r = one(b.poll(CQ, 1));
        assertSame(WcStatus.LOC_LEN_ERR, r.status);
    }

    @Test
    public void registrationRulesAreTheHardwares() {
        ByteBuffer readOnly = ByteBuffer.allocate(64).asReadOnlyBuffer();
        assertSame(org.irpverbs.softhca.CommandStatus.BAD_PARAM, a.status(new Command.Sw2HwMpt(100, 100 << 8, 1, 0, 64,
                AccessFlags.LOCAL_WRITE, 0, 0, readOnly)));
        a.ok(new Command.Sw2HwMpt(100, 100 << 8, 1, 0, 64, 0, 0, 0, readOnly));
    }
}
