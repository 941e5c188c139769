package org.irpverbs.softhca.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.CommandStatus;
import org.irpverbs.softhca.Opcode;
import org.irpverbs.softhca.wire.Gid;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.SpecialQpType;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WorkCompletion;
import org.junit.Before;
import org.junit.Test;

/**
 * CONF_SPECIAL_QP and the special QPs on the wire: QPN 0 and 1 of a port reach the contexts the
 * command assigned, QP0 on VL15 without key checks, QP1 with the GSI Q_Key only, both sending with
 * source QPN 0 or 1; the contexts are not reachable by their own numbers; the command's checks.
 */
public class SpecialQpTest extends EngineTestBase {
    static final int CQ = 1;
    static final int SMI_BASE = 8;
    static final int GSI_BASE = 10;
    static final int QKEY = 0x11223344;

    TestHca a;
    TestHca b;
    TestHca.Region aBuf;
    TestHca.Region bBuf;

    @Before
    public void setUp() {
        a = tavor("a", 1);
        b = memFree("b", 2);
        for (TestHca t : new TestHca[] {a, b}) {
            t.cq(CQ, 256);
            assertSame(CommandStatus.OK, t.status(new Command.ConfSpecialQp(SpecialQpType.SMI, SMI_BASE)));
            assertSame(CommandStatus.OK, t.status(new Command.ConfSpecialQp(SpecialQpType.GSI, GSI_BASE)));
        }
        aBuf = a.region(16 * 1024, TestHca.ALL);
        bBuf = b.region(16 * 1024, TestHca.ALL);
    }

    private static void up(TestHca t, int context, int qkey) {
        t.udQp(context, CQ, qkey, 16);
        t.udToRts(context);
    }

    private void recv(TestHca t, int qpn, long wrId, TestHca.Region r) {
        ReceiveWorkRequest rr = new ReceiveWorkRequest();
        rr.wrId = wrId;
        rr.sgl.add(r.va(), 40 + 256, r.lkey());
        assertEquals(NtStatus.SUCCESS, t.hw.dataPath().postReceive(qpn, rr));
    }

    private int send(TestHca from, int context, long id, int remoteQpn, int qkey, int destLid) {
        SendWorkRequest s = new SendWorkRequest();
        s.wrId = id;
        s.sgl.add(aBuf.va(), 256, aBuf.lkey());
        s.remoteQpn = remoteQpn;
        s.remoteQkey = qkey;
        return from.hw.dataPath().postSend(context, s, destLid);
    }

    @Test
    public void qp1ReachesThePortsGsiContextWithSourceQpn1() {
        up(a, GSI_BASE, SpecialQpType.GSI_QKEY);
        up(b, GSI_BASE, SpecialQpType.GSI_QKEY);
        recv(b, GSI_BASE, 7, bBuf);
        assertEquals(NtStatus.SUCCESS, send(a, GSI_BASE, 1, 1, SpecialQpType.GSI_QKEY, 2));
        assertSame(WcStatus.SUCCESS, a.poll(CQ, 1).get(0).status);
        WorkCompletion r = b.poll(CQ, 1).get(0);
        assertSame(WcStatus.SUCCESS, r.status);
        assertEquals(7, r.wrId);
        assertEquals("the completion names the context", GSI_BASE, r.qpNumber);
        assertEquals("the wire says QP1", 1, r.sourceQp);
        assertEquals(1, r.sourceLid);
        assertEquals(40 + 256, r.byteLength);
    }

    @Test
    public void qp1AcceptsOnlyTheGsiQkeyWhateverItsOwnQkey() {
        up(a, 3, QKEY);
        // the GSI Q_Key has its high bit set: a WR carrying it sends the QP's own Q_Key (IBA
        // 10.2.4), so only a QP whose Q_Key is the GSI one can reach a QP1
        up(a, 4, SpecialQpType.GSI_QKEY);
        // the GSI context was given another Q_Key: QP1 still checks against 0x80010000 (C9-49)
        up(b, GSI_BASE, QKEY);
        recv(b, GSI_BASE, 7, bBuf);
        assertEquals(NtStatus.SUCCESS, send(a, 3, 1, 1, QKEY, 2));
        assertTrue(TestHca.await(() -> b.hw.transportStatistics().qkeyViolations() == 1, 30_000));
        assertEquals(NtStatus.SUCCESS, send(a, 4, 2, 1, SpecialQpType.GSI_QKEY, 2));
        WorkCompletion r = b.poll(CQ, 1).get(0);
        assertEquals("the packet with the GSI Q_Key is the first one delivered", 7, r.wrId);
        assertEquals(4, r.sourceQp);
    }

    @Test
    public void qp0TravelsOnVl15WithoutKeyChecks() {
        // a P_Key the receiver's table does not hold: SMPs are not P_Key checked
        a.hw.setPKey(1, 1, 0x8123);
        a.udQp(SMI_BASE, CQ, 0, 16);
        QpAttributes i2i = new QpAttributes();
        i2i.pkeyIndex = 1;
        a.ok(new Command.ModifyQp(Opcode.INIT2INIT_QPEE, SMI_BASE, null, i2i.set(QpAttributes.PKEY_INDEX)));
        a.udToRts(SMI_BASE);
        up(b, SMI_BASE, 0);
        recv(b, SMI_BASE, 9, bBuf);
        assertEquals(NtStatus.SUCCESS, send(a, SMI_BASE, 1, 0, 0x55, 2));
        assertSame(WcStatus.SUCCESS, a.poll(CQ, 1).get(0).status);
        WorkCompletion r = b.poll(CQ, 1).get(0);
        assertSame(WcStatus.SUCCESS, r.status);
        assertEquals(0, r.sourceQp);
        assertEquals(SMI_BASE, r.qpNumber);
        assertEquals(0, b.hw.transportStatistics().qkeyViolations());
        assertEquals(0, b.hw.transportStatistics().pkeyViolations());
    }

    @Test
    public void qp0RefusesAnOrdinaryQpsPacketNotOnVl15() {
        up(a, 3, QKEY);
        up(a, SMI_BASE, 0);
        up(b, SMI_BASE, 0);
        recv(b, SMI_BASE, 9, bBuf);
        assertEquals(NtStatus.SUCCESS, send(a, 3, 1, 0, QKEY, 2));
        assertTrue(TestHca.await(() -> b.hw.transportStatistics().malformedPackets() == 1, 30_000));
        assertEquals(NtStatus.SUCCESS, send(a, SMI_BASE, 2, 0, 0, 2));
        WorkCompletion r = b.poll(CQ, 1).get(0);
        assertEquals(0, r.sourceQp);
        assertEquals(1, b.hw.transportStatistics().malformedPackets());
    }

    @Test
    public void specialContextsAreNotReachableByTheirOwnNumber() {
        up(a, 3, SpecialQpType.GSI_QKEY);
        up(b, GSI_BASE, SpecialQpType.GSI_QKEY);
        recv(b, GSI_BASE, 7, bBuf);
        assertEquals(NtStatus.SUCCESS, send(a, 3, 1, GSI_BASE, SpecialQpType.GSI_QKEY, 2));
        assertTrue(TestHca.await(() -> b.hw.transportStatistics().noQpDrops() == 1, 30_000));
        assertEquals(NtStatus.SUCCESS, send(a, 3, 2, 1, SpecialQpType.GSI_QKEY, 2));
        assertEquals(7, b.poll(CQ, 1).get(0).wrId);
        assertEquals(1, b.hw.transportStatistics().noQpDrops());
    }

    @Test
    public void unconfiguredSpecialQpnsAreDropped() {
        assertSame(CommandStatus.OK, b.status(new Command.ConfSpecialQp(SpecialQpType.GSI, -1)));
        up(a, 3, SpecialQpType.GSI_QKEY);
        assertEquals(NtStatus.SUCCESS, send(a, 3, 1, 1, SpecialQpType.GSI_QKEY, 2));
        assertTrue(TestHca.await(() -> b.hw.transportStatistics().noQpDrops() == 1, 30_000));
    }

    @Test
    public void confSpecialQpChecksItsRange() {
        assertSame(CommandStatus.BAD_PARAM, a.status(new Command.ConfSpecialQp(null, 20)));
        assertSame(CommandStatus.BAD_INDEX, a.status(new Command.ConfSpecialQp(SpecialQpType.GSI, 1024)));
        assertSame(CommandStatus.BAD_INDEX, a.status(new Command.ConfSpecialQp(SpecialQpType.GSI, -2)));
        assertSame("overlaps the SMI range", CommandStatus.BAD_PARAM,
                a.status(new Command.ConfSpecialQp(SpecialQpType.GSI, SMI_BASE)));
        up(a, 20, QKEY);
        assertSame("a live QP in the new range", CommandStatus.BAD_RES_STATE,
                a.status(new Command.ConfSpecialQp(SpecialQpType.GSI, 20)));
        up(a, GSI_BASE, SpecialQpType.GSI_QKEY);
        assertSame("a live QP in the old range", CommandStatus.BAD_RES_STATE,
                a.status(new Command.ConfSpecialQp(SpecialQpType.GSI, 30)));
        a.ok(new Command.ModifyQp(Opcode.TO_RST_QPEE, GSI_BASE, null, new QpAttributes().toState(QpState.RESET)));
        assertSame(CommandStatus.OK, a.status(new Command.ConfSpecialQp(SpecialQpType.GSI, 30)));
    }

    @Test
    public void aSpecialContextBelongsToItsPortAndJoinsNoGroup() {
        a.icm(org.irpverbs.softhca.IcmTable.QPC, GSI_BASE);
        QpAttributes init = new QpAttributes();
        init.port = 1;
        init.qkey = SpecialQpType.GSI_QKEY;
        init.set(QpAttributes.PKEY_INDEX).set(QpAttributes.PORT).set(QpAttributes.QKEY).toState(QpState.INIT);
        Command.QpSetup rc = new Command.QpSetup(org.irpverbs.verbs.QpType.RC, TestHca.PD, CQ, CQ, 4, 4, 1, 0, true);
        assertSame("a special QP is UD", CommandStatus.BAD_PARAM,
                a.status(new Command.ModifyQp(Opcode.RST2INIT_QPEE, GSI_BASE, rc, init)));
        up(a, GSI_BASE, SpecialQpType.GSI_QKEY);
        byte[] mgid = new Gid(0xFF12401BFFFF0000L, 1).toBytes();
        assertSame(CommandStatus.BAD_PARAM, a.status(new Command.WriteMgm(mgid, 0xC001, new int[] {GSI_BASE})));
    }
}
