package org.irpverbs.softhca.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.CommandStatus;
import org.irpverbs.softhca.Opcode;
import org.irpverbs.softhca.wire.Gid;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.WcOpcode;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WorkCompletion;
import org.irpverbs.verbs.WrOpcode;
import org.junit.Before;
import org.junit.Test;

/** Unreliable datagrams: GRH placement, Q_Keys, multicast, length errors and P_Keys. */
public class UdTransportTest extends EngineTestBase {
    static final int CQ = 1;
    static final int QKEY = 0x11223344;
    static final int MLID = 0xC010;
    static final byte[] MGID = new Gid(0xFF12401BFFFF0000L, 0x00000000FFFFFFFFL).toBytes();

    TestHca a;
    TestHca b;
    TestHca.Region aBuf;
    TestHca.Region bBuf;

    @Before
    public void setUp() {
        a = tavor("a", 1);
        b = memFree("b", 2);
        a.cq(CQ, 256);
        b.cq(CQ, 256);
        aBuf = a.region(16 * 1024, TestHca.ALL);
        bBuf = b.region(64 * 1024, TestHca.ALL);
        for (int i = 0; i < 4096; i++) {
            aBuf.memory().put(i, (byte) (i * 3));
        }
    }

    void udPair(int qa, int qb) {
        a.udQp(qa, CQ, QKEY, 32);
        a.udToRts(qa);
        b.udQp(qb, CQ, QKEY, 32);
        b.udToRts(qb);
    }

    void recv(TestHca t, int qpn, long wrId, TestHca.Region r, int offset, int len) {
        ReceiveWorkRequest rr = new ReceiveWorkRequest();
        rr.wrId = wrId;
        rr.sgl.add(r.va() + offset, len, r.lkey());
        assertEquals(NtStatus.SUCCESS, t.hw.dataPath().postReceive(qpn, rr));
    }

    SendWorkRequest datagram(long id, int len, int remoteQpn, int qkey) {
        SendWorkRequest s = new SendWorkRequest();
        s.wrId = id;
        s.sgl.add(aBuf.va(), len, aBuf.lkey());
        s.remoteQpn = remoteQpn;
        s.remoteQkey = qkey;
        return s;
    }

    @Test
    public void datagramLandsAfterTheGrhSpace() {
        udPair(3, 4);
        bBuf.memory().put(0, (byte) 0x5A);
        recv(b, 4, 10, bBuf, 0, 2048);
        SendWorkRequest s = datagram(1, 300, 4, QKEY);
        s.opcode = WrOpcode.SEND_WITH_IMM;
        s.immediateData = 0x01020304;
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(3, s, 2));
        WorkCompletion sent = a.poll(CQ, 1).get(0);
        assertSame(WcStatus.SUCCESS, sent.status);
        WorkCompletion r = b.poll(CQ, 1).get(0);
        assertSame(WcStatus.SUCCESS, r.status);
        assertSame(WcOpcode.RECV, r.opcode);
        assertEquals(40 + 300, r.byteLength);
        assertEquals(3, r.sourceQp);
        assertEquals(1, r.sourceLid);
        assertTrue(r.hasImmediate);
        assertEquals(0x01020304, r.immediateData);
        assertFalse("a LID-routed datagram reports no GRH", r.grhPresent);
        assertEquals("no GRH: the first 40 bytes are untouched", 0x5A, bBuf.memory().get(0));
        assertBytes(aBuf.memory(), 0, bBuf.memory(), 40, 300);
    }

    @Test
    public void qkeyMismatchIsDroppedAndCounted() {
        udPair(3, 4);
        recv(b, 4, 10, bBuf, 0, 2048);
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(3, datagram(1, 64, 4, 0x999), 2));
        assertSame(WcStatus.SUCCESS, a.poll(CQ, 1).get(0).status);
        assertTrue(TestHca.await(() -> b.hw.transportStatistics().qkeyViolations() == 1, 5000));
        b.assertNoCompletion(CQ, 10);
        // the high bit of the WR's Q_Key selects the sending QP's own Q_Key, which matches
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(3, datagram(2, 64, 4, 0x80000000), 2));
        WorkCompletion r = b.poll(CQ, 1).get(0);
        assertEquals(10, r.wrId);
        assertEquals(104, r.byteLength);
    }

    @Test
    public void multicastReachesEveryAttachedQpWithTheGrh() {
        udPair(3, 4);
        b.udQp(5, CQ, QKEY, 32);
        b.udToRts(5);
        b.ok(new Command.WriteMgm(MGID, MLID, new int[] {4, 5}));
        a.ok(new Command.WriteMgm(MGID, MLID, new int[] {3}));
        assertEquals(2, fabric.multicastMembers(MLID).size());
        recv(b, 4, 40, bBuf, 0, 1024);
        recv(b, 5, 50, bBuf, 4096, 1024);
        recv(a, 3, 30, aBuf, 8192, 1024);
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(3, datagram(1, 200, 0, QKEY), MLID));
        List<WorkCompletion> got = b.poll(CQ, 2);
        assertEquals(2, got.size());
        for (WorkCompletion r : got) {
            assertSame(WcStatus.SUCCESS, r.status);
            assertEquals(240, r.byteLength);
            assertEquals(3, r.sourceQp);
            assertTrue("a multicast carries a GRH: " + r, r.grhPresent);
        }
        for (int base : new int[] {0, 4096}) {
            ByteBuffer m = bBuf.memory();
            assertEquals("GRH IPVer", 6, (m.get(base) >> 4) & 0xF);
            assertEquals(Gid.of(MGID), Gid.read(m, base + 24));
            assertEquals(Gid.linkLocal(a.hw.config().portGuid(1)), Gid.read(m, base + 8));
            assertBytes(aBuf.memory(), 0, m, base + 40, 200);
        }
        // the sender's HCA has QP 3 attached: it gets its own copy by loopback
        List<WorkCompletion> sent = a.poll(CQ, 2);
        assertEquals(2, sent.size());
        assertTrue(sent.stream().anyMatch(w -> w.opcode == WcOpcode.RECV && w.wrId == 30 && w.byteLength == 240));
        // detach one QP: only the other receives
        b.ok(new Command.WriteMgm(MGID, MLID, new int[] {5}));
        recv(b, 4, 41, bBuf, 0, 1024);
        recv(b, 5, 51, bBuf, 4096, 1024);
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(3, datagram(2, 8, 0, QKEY), MLID));
        WorkCompletion only = b.poll(CQ, 1).get(0);
        assertEquals(51, only.wrId);
        b.assertNoCompletion(CQ, 30);
        b.ok(new Command.WriteMgm(MGID, MLID, new int[0]));
        assertEquals(1, fabric.multicastMembers(MLID).size());
        assertSame(CommandStatus.BAD_PARAM, b.status(new Command.WriteMgm(MGID, 0x10, new int[] {4})));
        assertSame(CommandStatus.BAD_PARAM, b.status(new Command.WriteMgm(MGID, MLID, new int[] {99})));
    }

    @Test
    public void receiveBufferTooSmallIsALengthError() {
        udPair(3, 4);
        recv(b, 4, 10, bBuf, 0, 100); // 40 bytes of GRH space + 60 of data: too small for 64
        recv(b, 4, 11, bBuf, 0, 100);
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(3, datagram(1, 64, 4, QKEY), 2));
        List<WorkCompletion> got = b.poll(CQ, 2);
        assertSame(WcStatus.LOC_LEN_ERR, got.get(0).status);
        assertSame(WcStatus.WR_FLUSH_ERR, got.get(1).status);
        assertSame(QpState.ERR, b.qpState(4));
    }

    @Test
    public void datagramLargerThanTheMtuFailsAndTheSendQueueRecovers() {
        udPair(3, 4);
        recv(b, 4, 10, bBuf, 0, 4096);
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(3, datagram(1, 2049, 4, QKEY), 2));
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(3, datagram(2, 10, 4, QKEY), 2));
        List<WorkCompletion> got = a.poll(CQ, 2);
        assertSame(WcStatus.LOC_LEN_ERR, got.get(0).status);
        assertSame(WcStatus.WR_FLUSH_ERR, got.get(1).status);
        assertSame(QpState.SQE, a.qpState(3));
        a.ok(new Command.ModifyQp(Opcode.SQERR2RTS_QPEE, 3, null, new QpAttributes().toState(QpState.RTS)));
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(3, datagram(3, 2048, 4, QKEY), 2));
        assertSame(WcStatus.SUCCESS, a.poll(CQ, 1).get(0).status);
        assertEquals(2088, b.poll(CQ, 1).get(0).byteLength);
        assertEquals("RDMA on UD", NtStatus.INVALID_PARAMETER, a.hw.dataPath().postSend(3, rdma(), 2));
        assertEquals("no destination", NtStatus.INVALID_PARAMETER, a.hw.dataPath().postSend(3, datagram(4, 1, 4, QKEY),
                0));
    }

    private SendWorkRequest rdma() {
        SendWorkRequest s = datagram(9, 8, 4, QKEY);
        s.opcode = WrOpcode.RDMA_WRITE;
        return s;
    }

    @Test
    public void pkeyMismatchIsDroppedAndCounted() {
        a.hw.setPKey(1, 1, 0x8001);
        a.udQp(3, CQ, QKEY, 8);
        QpAttributes i2i = new QpAttributes();
        i2i.pkeyIndex = 1;
        a.ok(new Command.ModifyQp(Opcode.INIT2INIT_QPEE, 3, null, i2i.set(QpAttributes.PKEY_INDEX)));
        a.udToRts(3);
        b.udQp(4, CQ, QKEY, 8);
        b.udToRts(4);
        recv(b, 4, 10, bBuf, 0, 1024);
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(3, datagram(1, 16, 4, QKEY), 2));
        assertSame(WcStatus.SUCCESS, a.poll(CQ, 1).get(0).status);
        assertTrue(TestHca.await(() -> b.hw.transportStatistics().pkeyViolations() == 1, 5000));
        b.assertNoCompletion(CQ, 10);
        // the same partition on both sides: delivered
        b.hw.setPKey(1, 0, 0x8001);
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(3, datagram(2, 16, 4, QKEY), 2));
        assertEquals(56, b.poll(CQ, 1).get(0).byteLength);
        // limited members do not talk to each other
        b.hw.setPKey(1, 0, 0x0001);
        a.hw.setPKey(1, 1, 0x0001);
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(3, datagram(3, 16, 4, QKEY), 2));
        assertTrue(TestHca.await(() -> b.hw.transportStatistics().pkeyViolations() == 2, 5000));
        b.assertNoCompletion(CQ, 10);
    }

    @Test
    public void noReceivePostedDropsSilently() {
        udPair(3, 4);
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(3, datagram(1, 16, 4, QKEY), 2));
        assertSame(WcStatus.SUCCESS, a.poll(CQ, 1).get(0).status);
        assertTrue(TestHca.await(() -> b.hw.transportStatistics().udNoReceiveDrops() == 1, 5000));
        assertFalse(b.qpState(4) == QpState.ERR);
    }

    @Test
    public void malformedPacketsAreCountedAsReceiveErrors() {
        udPair(3, 4);
        org.irpverbs.softhca.fabric.Frame f = new org.irpverbs.softhca.fabric.FramePool(256).acquire();
        byte[] junk = new Packet(3, 4).bytes();
        junk[junk.length - 1] ^= 1; // break the ICRC
        f.buffer().put(0, junk);
        f.setLength(junk.length);
        assertTrue(a.hw.fabricPort(1).send(f));
        assertTrue(TestHca.await(() -> b.hw.transportStatistics().malformedPackets() == 1, 5000));
        assertEquals(1, b.hw.fabricPort(1).counters().portRcvErrors());
    }

    /** A valid UD packet from LID 1 QP {@code src} to LID 2 QP {@code dst}. */
    record Packet(int src, int dst) {
        byte[] bytes() {
            return new org.irpverbs.softhca.wire.Packet(new org.irpverbs.softhca.wire.Lrh(0, 0, 0, 2, 2, 0, 1), null,
                    new org.irpverbs.softhca.wire.Bth(0x64, false, true, 0, 0, 0xFFFF, dst, false, 0),
                    new org.irpverbs.softhca.wire.Deth(QKEY, src), null, null, null, null, null, new byte[12]).toBytes();
        }
    }
}
