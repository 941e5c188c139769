package org.irpverbs.softhca.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.CommandStatus;
import org.irpverbs.softhca.DataPath;
import org.irpverbs.softhca.HardwareStatistics;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.softhca.Opcode;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.AsyncEventType;
import org.irpverbs.verbs.Mtu;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WorkCompletion;
import org.junit.Test;

/** The HCR and the firmware's commands: start-up, limits, latency, ICM, contexts, reset and failure. */
public class FirmwareTest extends EngineTestBase {

    @Test
    public void bothModelsComeUpAndReportThemselves() {
        TestHca a = tavor("a", 1);
        TestHca b = memFree("b", 2);
        Command.FirmwareInfo fwA = (Command.FirmwareInfo) a.ok(new Command.QueryFw());
        Command.FirmwareInfo fwB = (Command.FirmwareInfo) b.ok(new Command.QueryFw());
        assertEquals("3.5.0", fwA.version());
        assertEquals("5.1.0", fwB.version());
        assertEquals(HcaConfig.DEFAULT_LOG_MAX_OUTSTANDING, fwA.logMaxOutstanding());
        Command.DeviceLimits lim = (Command.DeviceLimits) b.ok(new Command.QueryDevLim());
        assertEquals(1 << 16, lim.maxQp());
        assertEquals(1 << 17, lim.maxMpt());
        assertEquals(1 << 20, lim.maxMtt());
        assertTrue(lim.memFreeCapable());
        assertTrue(lim.tavorCapable());
        assertSame(DataPath.DoorbellMode.MMIO, a.hw.dataPath().doorbellMode());
        assertSame(DataPath.DoorbellMode.DOORBELL_RECORD, b.hw.dataPath().doorbellMode());
        assertNotNull(fabric.port(1));
        assertNotNull(fabric.port(2));
        assertTrue(a.awaitEvent(AsyncEventType.PORT_ACTIVE, 1000));
        HardwareStatistics s = a.hw.statistics();
        assertEquals(Long.valueOf(2), s.commandsByOpcode().get(Opcode.QUERY_FW));
        assertEquals(Long.valueOf(1), s.commandsByOpcode().get(Opcode.INIT_HCA));
        assertEquals(0, a.hw.firmware().outstanding());
        assertEquals(16, a.hw.firmware().maxOutstanding());
    }

    @Test
    public void sinaiFirmwareVersionAndNoTavorMode() {
        TestHca c = new TestHca(SoftHcas.create(TestHca.fastConfig("c", HcaModel.MT25204, 3), fabric, io), true);
        hcas.add(c);
        assertEquals("1.2.0", ((Command.FirmwareInfo) c.ok(new Command.QueryFw())).version());
        assertSame(CommandStatus.BAD_OP, c.status(new Command.SysEn()));
        Command.DeviceLimits lim;
        c.ok(new Command.MapFa(8));
        c.ok(new Command.RunFw());
        lim = (Command.DeviceLimits) c.ok(new Command.QueryDevLim());
        assertFalse(lim.tavorCapable());
        assertSame(CommandStatus.BAD_SYS_STATE, c.status(new Command.InitHca(TestHca.profile(false))));
        c.ok(new Command.InitHca(TestHca.profile(true)));
    }

    @Test
    public void commandsBeforeTheFirmwareRunsFailWithBadSysState() {
        TestHca b = new TestHca(SoftHcas.create(TestHca.fastConfig("b", HcaModel.MT25208, 2), fabric, io), true);
        hcas.add(b);
        b.ok(new Command.QueryFw());
        assertSame(CommandStatus.BAD_SYS_STATE, b.status(new Command.QueryDevLim()));
        assertSame(CommandStatus.BAD_SYS_STATE, b.status(new Command.RunFw()));
        assertSame(CommandStatus.BAD_SYS_STATE, b.status(new Command.Sw2HwCq(1, 16, 0)));
        assertSame(CommandStatus.BAD_SYS_STATE, b.status(new Command.Nop()));
        b.ok(new Command.MapFa(4));
        assertSame(CommandStatus.BAD_SYS_STATE, b.status(new Command.InitHca(TestHca.profile(true))));
        b.ok(new Command.RunFw());
        assertSame(CommandStatus.BAD_SYS_STATE, b.status(new Command.Sw2HwCq(1, 16, 0)));
        assertSame(CommandStatus.BAD_SYS_STATE, b.status(new Command.InitIb(1, Mtu.MTU_2048)));
        b.ok(new Command.Nop());
        b.ok(new Command.InitHca(TestHca.profile(true)));
        assertSame(CommandStatus.BAD_SYS_STATE, b.status(new Command.InitHca(TestHca.profile(true))));
        assertSame(CommandStatus.BAD_SYS_STATE, b.status(new Command.MapFa(4)));
        // CLOSE_HCA, then SYS_DIS: back to square one
        b.ok(new Command.CloseHca());
        assertSame(CommandStatus.BAD_SYS_STATE, b.status(new Command.Sw2HwCq(1, 16, 0)));
        b.ok(new Command.SysDis());
        assertSame(CommandStatus.BAD_SYS_STATE, b.status(new Command.QueryDevLim()));
    }

    @Test
    public void theHcrRefusesBeyondMaxOutstanding() throws Exception {
        HcaConfig slow = TestHca.config("a", HcaModel.MT23108, 1, 300_000_000, 300_000_000, 300_000_000);
        slow = new HcaConfig(slow.name(), slow.model(), 1, slow.onCardMemoryBytes(), 1, slow.classANanos(),
                slow.classBNanos(), slow.classCNanos(), slow.nodeGuid(), slow.portLids(), slow.mtu(), slow.maxQp(),
                slow.maxCq(), slow.maxMpt(), slow.maxMtt(), slow.maxMcg());
        TestHca a = new TestHca(SoftHcas.create(slow, fabric, io), false);
        hcas.add(a);
        assertEquals(2, a.hw.firmware().maxOutstanding());
        CompletableFuture<TestHca.Result> one = a.post(new Command.QueryFw());
        CompletableFuture<TestHca.Result> two = a.post(new Command.QueryFw());
        assertNotNull(one);
        assertNotNull(two);
        assertEquals(2, a.hw.firmware().outstanding());
        assertNull("a third command is refused", a.post(new Command.QueryFw()));
        assertSame(CommandStatus.OK, one.get(5, TimeUnit.SECONDS).status());
        two.get(5, TimeUnit.SECONDS);
        assertEquals(0, a.hw.firmware().outstanding());
        assertNotNull(a.post(new Command.QueryFw()).get(5, TimeUnit.SECONDS));
    }

    @Test
    public void aCommandDoesNotCompleteBeforeItsLatency() throws Exception {
        TestHca a = new TestHca(SoftHcas.create(TestHca.config("a", HcaModel.MT23108, 1, 1_000_000, 10_000_000,
                300_000_000), fabric, io), false);
        hcas.add(a);
        long t0 = System.nanoTime();
        CompletableFuture<TestHca.Result> sysEn = a.post(new Command.SysEn()); // class C
        CompletableFuture<TestHca.Result> query = a.post(new Command.QueryFw()); // class A
        TestHca.Result queryResult = query.get(30, TimeUnit.SECONDS);
        long queryDone = System.nanoTime() - t0;
        TestHca.Result sysEnResult = sysEn.get(30, TimeUnit.SECONDS);
        long sysEnDone = System.nanoTime() - t0;
        // the order the firmware reported them in, not whether the test thread looked in time:
        // class A posted second does not wait behind class C
        List<TestHca.Result> order = List.copyOf(a.completionOrder);
        assertEquals(2, order.size());
        assertSame("class A completed while class C still ran", queryResult, order.get(0));
        assertSame(sysEnResult, order.get(1));
        assertTrue("class A took " + queryDone, queryDone >= 1_000_000);
        assertTrue("class C took " + sysEnDone, sysEnDone >= 300_000_000);
    }

    @Test
    public void tavorProfileMustFitOnCardMemory() {
        HcaConfig small = new HcaConfig("a", HcaModel.MT23108, 1, 1L << 20, 4, 2_000, 10_000, 50_000, 1, List.of(1),
                Mtu.MTU_2048, 1 << 16, 1 << 16, 1 << 17, 1 << 20, 1 << 13);
        TestHca a = new TestHca(SoftHcas.create(small, fabric, io), false);
        hcas.add(a);
        a.ok(new Command.SysEn());
        Command.Profile big = new Command.Profile(1 << 16, 1 << 16, 1 << 17, 1 << 20, 1 << 13, false);
        assertTrue(big.contextBytes() > small.onCardMemoryBytes());
        assertSame(CommandStatus.EXCEED_LIM, a.status(new Command.InitHca(big)));
        assertSame(CommandStatus.EXCEED_LIM, a.status(new Command.InitHca(new Command.Profile(1 << 17, 64, 64, 64, 8,
                false))));
        assertSame(CommandStatus.BAD_SYS_STATE, a.status(new Command.InitHca(new Command.Profile(64, 64, 64, 64, 8,
                true))));
        Command.Profile fits = new Command.Profile(256, 256, 1024, 8192, 16, false);
        assertTrue(fits.contextBytes() <= small.onCardMemoryBytes());
        a.ok(new Command.InitHca(fits));
        assertSame(CommandStatus.BAD_OP, a.status(new Command.MapIcm(IcmTable.MPT, 0)));
        assertSame(CommandStatus.BAD_INDEX, a.status(new Command.Sw2HwCq(256, 16, 0)));
    }

    @Test
    public void memFreeContextsNeedTheirIcmChunkMapped() {
        TestHca b = memFree("b", 2);
        ByteBuffer mem = ByteBuffer.allocate(4096);
        int index = 5; // in chunk 0
        int key = (index << 8) | 0x42;
        Command.Sw2HwMpt mpt = new Command.Sw2HwMpt(index, key, 1, 0x10000, 4096, AccessFlags.LOCAL_WRITE, 0, 0, mem);
        assertSame(CommandStatus.ICM_NOT_MAPPED, b.status(mpt));
        assertSame(CommandStatus.ICM_NOT_MAPPED, b.status(new Command.Sw2HwCq(3, 16, 0)));
        assertSame(CommandStatus.ICM_NOT_MAPPED, b.status(new Command.WriteMtt(0, 8)));
        QpAttributes init = new QpAttributes();
        init.port = 1;
        init.set(QpAttributes.PKEY_INDEX).set(QpAttributes.PORT).set(QpAttributes.ACCESS_FLAGS).toState(QpState.INIT);
        b.ok(new Command.MapIcm(IcmTable.CQC, 0));
        b.ok(new Command.Sw2HwCq(3, 16, 0));
        Command.ModifyQp rst2init = new Command.ModifyQp(Opcode.RST2INIT_QPEE, 7,
                new Command.QpSetup(QpType.RC, 1, 3, 3, 8, 8, 2, 0, true), init);
        assertSame(CommandStatus.ICM_NOT_MAPPED, b.status(rst2init));
        b.ok(new Command.MapIcm(IcmTable.QPC, 0));
        b.ok(rst2init);

        b.ok(new Command.MapIcm(IcmTable.MPT, 0));
        assertSame(CommandStatus.BAD_RES_STATE, b.status(new Command.MapIcm(IcmTable.MPT, 0)));
        b.ok(new Command.MapIcm(IcmTable.MTT, 0));
        b.ok(new Command.WriteMtt(0, 8));
        b.ok(new Command.Sw2HwMpt(index, key, 1, 0x10000, 4096, AccessFlags.LOCAL_WRITE, 0, 8, mem));
        HardwareStatistics s = b.hw.statistics();
        assertEquals(Integer.valueOf(1), s.icmChunksMapped().get(IcmTable.MPT));
        assertEquals(Integer.valueOf(1), s.icmChunksMapped().get(IcmTable.MTT));
        // chunks holding live contexts cannot be unmapped
        assertSame(CommandStatus.BAD_RES_STATE, b.status(new Command.UnmapIcm(IcmTable.MPT, 0)));
        assertSame(CommandStatus.BAD_RES_STATE, b.status(new Command.UnmapIcm(IcmTable.MTT, 0)));
        assertSame(CommandStatus.BAD_RES_STATE, b.status(new Command.UnmapIcm(IcmTable.CQC, 0)));
        assertSame(CommandStatus.BAD_RES_STATE, b.status(new Command.UnmapIcm(IcmTable.QPC, 0)));
        b.ok(new Command.Hw2SwMpt(index));
        b.ok(new Command.UnmapIcm(IcmTable.MPT, 0));
        b.ok(new Command.UnmapIcm(IcmTable.MTT, 0));
        assertSame(CommandStatus.BAD_RES_STATE, b.status(new Command.UnmapIcm(IcmTable.MPT, 0)));
        b.ok(new Command.ModifyQp(Opcode.TO_RST_QPEE, 7, null, null));
        b.ok(new Command.UnmapIcm(IcmTable.QPC, 0));
        b.ok(new Command.Hw2SwCq(3));
        b.ok(new Command.UnmapIcm(IcmTable.CQC, 0));
        assertEquals(Integer.valueOf(0), b.hw.statistics().icmChunksMapped().get(IcmTable.MPT));
        // chunk numbers are bounded by the profile
        int chunks = (TestHca.profile(true).mpts() + IcmTable.MPT.entriesPerChunk() - 1) / IcmTable.MPT.entriesPerChunk();
        assertSame(CommandStatus.BAD_INDEX, b.status(new Command.MapIcm(IcmTable.MPT, chunks)));
    }

    @Test
    public void theProfileBoundsEveryIndex() {
        TestHca a = tavor("a", 1);
        Command.Profile p = TestHca.profile(false);
        ByteBuffer mem = ByteBuffer.allocate(64);
        assertSame(CommandStatus.BAD_INDEX, a.status(new Command.Sw2HwMpt(p.mpts(), p.mpts() << 8, 1, 0, 64, 0, 0, 0,
                mem)));
        assertSame(CommandStatus.BAD_INDEX, a.status(new Command.Hw2SwMpt(-1)));
        assertSame(CommandStatus.BAD_INDEX, a.status(new Command.Sw2HwCq(p.cqs(), 16, 0)));
        assertSame(CommandStatus.BAD_INDEX, a.status(new Command.WriteMtt(p.mtts() - 4, 8)));
        assertSame(CommandStatus.BAD_INDEX, a.status(new Command.QueryQp(p.qps())));
        assertSame(CommandStatus.BAD_INDEX, a.status(new Command.ModifyQp(Opcode.TO_ERR_QPEE, p.qps(), null, null)));
        assertSame(CommandStatus.BAD_INDEX, a.status(new Command.Sw2HwEq(64)));
        assertSame(CommandStatus.BAD_INDEX, a.status(new Command.Sw2HwMpt(5, 5 << 8, 1, 0, 64, 0, p.mtts() - 1, 2, mem)));
        a.ok(new Command.WriteMtt(p.mtts() - 8, 8));
        // the key's index must be the entry's; the PD and rights must be valid
        assertSame(CommandStatus.BAD_PARAM, a.status(new Command.Sw2HwMpt(5, 6 << 8, 1, 0, 64, 0, 0, 0, mem)));
        assertSame(CommandStatus.BAD_PARAM, a.status(new Command.Sw2HwMpt(5, 5 << 8, 1, 0, 64,
                AccessFlags.REMOTE_WRITE, 0, 0, mem)));
        assertSame(CommandStatus.BAD_PARAM, a.status(new Command.Sw2HwMpt(5, 5 << 8, 1, 0, 65, 0, 0, 0, mem)));
        a.ok(new Command.Sw2HwMpt(5, 5 << 8, 1, 0, 64, 0, 0, 0, mem));
        assertSame(CommandStatus.BAD_RES_STATE, a.status(new Command.Sw2HwMpt(5, 5 << 8, 1, 0, 64, 0, 0, 0, mem)));
        assertSame(CommandStatus.BAD_RES_STATE, a.status(new Command.Hw2SwMpt(6)));
        assertSame(CommandStatus.BAD_RES_STATE, a.status(new Command.Sw2HwEq(0)));
        a.ok(new Command.Hw2SwEq(0));
        assertSame(CommandStatus.BAD_RES_STATE, a.status(new Command.Hw2SwEq(0)));
    }

    @Test
    public void wrongStateTransitionsFailWithBadQpState() {
        TestHca a = tavor("a", 1);
        a.cq(1, 64);
        QpAttributes rtr = new QpAttributes().toState(QpState.RTR);
        // a QP never initialised is in RESET
        assertSame(CommandStatus.BAD_QP_STATE, a.status(new Command.ModifyQp(Opcode.INIT2RTR_QPEE, 9, null, rtr)));
        assertSame(QpState.RESET, a.qpState(9));
        a.rcQp(9, 1, TestHca.ALL, 16, true);
        assertSame(QpState.INIT, a.qpState(9));
        QpAttributes init = new QpAttributes();
        init.port = 1;
        init.set(QpAttributes.PKEY_INDEX).set(QpAttributes.PORT).set(QpAttributes.ACCESS_FLAGS);
        assertSame(CommandStatus.BAD_QP_STATE, a.status(new Command.ModifyQp(Opcode.RST2INIT_QPEE, 9,
                new Command.QpSetup(QpType.RC, 1, 1, 1, 8, 8, 1, 0, true), init)));
        assertSame(CommandStatus.BAD_QP_STATE, a.status(new Command.ModifyQp(Opcode.RTR2RTS_QPEE, 9, null,
                new QpAttributes().toState(QpState.RTS))));
        assertSame(CommandStatus.BAD_QP_STATE, a.status(new Command.ModifyQp(Opcode.SQD2RTS_QPEE, 9, null, null)));
        assertSame(CommandStatus.BAD_QP_STATE, a.status(new Command.ModifyQp(Opcode.SQERR2RTS_QPEE, 9, null, null)));
        // INIT2RTR without the attributes RC requires is refused by the hardware too
        assertSame(CommandStatus.BAD_PARAM, a.status(new Command.ModifyQp(Opcode.INIT2RTR_QPEE, 9, null, rtr)));
        // a transition opcode that is not one
        assertSame(CommandStatus.BAD_OP, a.status(new Command.ModifyQp(Opcode.NOP, 9, null, null)));
        a.ok(new Command.ModifyQp(Opcode.INIT2INIT_QPEE, 9, null, null));
        a.toRts(9, 2, 10, TestHca.RcOptions.defaults(), 0);
        assertSame(QpState.RTS, a.qpState(9));
        QpAttributes q = (QpAttributes) a.ok(new Command.QueryQp(9));
        assertEquals(2, q.destLid);
        assertEquals(10, q.destQpn);
        assertSame(Mtu.MTU_2048, q.pathMtu);
        assertEquals(TestHca.RcOptions.defaults().psn(), q.sqPsn);
        assertTrue(q.has(QpAttributes.DEST_QPN));
        a.ok(new Command.ModifyQp(Opcode.RTS2SQD_QPEE, 9, null, null));
        assertSame(QpState.SQD, a.qpState(9));
        assertSame(CommandStatus.BAD_QP_STATE, a.status(new Command.ModifyQp(Opcode.RTS2SQD_QPEE, 9, null, null)));
        a.ok(new Command.ModifyQp(Opcode.SQD2SQD_QPEE, 9, null, null));
        a.ok(new Command.ModifyQp(Opcode.SQD2RTS_QPEE, 9, null, null));
        a.ok(new Command.ModifyQp(Opcode.TO_ERR_QPEE, 9, null, null));
        assertSame(QpState.ERR, a.qpState(9));
        assertSame(CommandStatus.BAD_QP_STATE, a.status(new Command.ModifyQp(Opcode.RTS2RTS_QPEE, 9, null, null)));
        // the CQ is in use until the QP is reset
        assertSame(CommandStatus.BAD_RES_STATE, a.status(new Command.Hw2SwCq(1)));
        a.ok(new Command.ModifyQp(Opcode.TO_RST_QPEE, 9, null, null));
        assertSame(QpState.RESET, a.qpState(9));
        a.ok(new Command.Hw2SwCq(1));
    }

    @Test
    public void toErrFlushesEveryOutstandingWqe() {
        TestHca a = tavor("a", 1);
        TestHca b = memFree("b", 2);
        a.cq(1, 64);
        b.cq(1, 64);
        a.rcQp(5, 1, TestHca.ALL, 16, true);
        b.rcQp(6, 1, TestHca.ALL, 16, true);
        TestHca.Region r = b.region(1024, TestHca.ALL);
        ReceiveWorkRequest rr = new ReceiveWorkRequest();
        for (int i = 0; i < 3; i++) {
            rr.clear().wrId = 100 + i;
            rr.sgl.add(r.va(), 256, r.lkey());
            assertEquals(NtStatus.SUCCESS, b.hw.dataPath().postReceive(6, rr));
        }
        b.ok(new Command.ModifyQp(Opcode.TO_ERR_QPEE, 6, null, null));
        List<WorkCompletion> flushed = b.poll(1, 3);
        assertEquals(3, flushed.size());
        for (int i = 0; i < 3; i++) {
            assertSame(WcStatus.WR_FLUSH_ERR, flushed.get(i).status);
            assertEquals(100 + i, flushed.get(i).wrId);
        }
        // posting to a QP in ERR is allowed and flushed at once
        rr.clear().wrId = 200;
        assertEquals(NtStatus.SUCCESS, b.hw.dataPath().postReceive(6, rr));
        assertEquals(200, b.poll(1, 1).get(0).wrId);
        SendWorkRequest s = new SendWorkRequest();
        s.wrId = 300;
        assertEquals(NtStatus.SUCCESS, b.hw.dataPath().postSend(6, s, 0));
        WorkCompletion wc = b.poll(1, 1).get(0);
        assertEquals(300, wc.wrId);
        assertSame(WcStatus.WR_FLUSH_ERR, wc.status);
    }

    @Test
    public void resizeCqKeepsItsEntries() {
        TestHca a = tavor("a", 1);
        a.cq(2, 8);
        a.rcQp(4, 2, TestHca.ALL, 8, true);
        ReceiveWorkRequest rr = new ReceiveWorkRequest();
        for (int i = 0; i < 5; i++) {
            rr.clear().wrId = i;
            assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postReceive(4, rr));
        }
        a.ok(new Command.ModifyQp(Opcode.TO_ERR_QPEE, 4, null, null)); // flushed before TO_ERR completes
        assertSame(CommandStatus.BAD_PARAM, a.status(new Command.ResizeCq(2, 4)));
        a.ok(new Command.ResizeCq(2, 32));
        List<WorkCompletion> got = a.poll(2, 5);
        assertEquals(5, got.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(i, got.get(i).wrId);
        }
        a.ok(new Command.ResizeCq(2, 5));
        assertSame(CommandStatus.BAD_RES_STATE, a.status(new Command.ResizeCq(3, 5)));
    }

    @Test
    public void madIfcAnswersNodeInfoAndPortInfo() {
        TestHca a = tavor("a", 1);
        byte[] mad = new byte[256];
        mad[0] = 1; // base version
        mad[1] = 0x01; // SubnLID-routed
        mad[2] = 1;
        mad[3] = 0x01; // Get
        ByteBuffer m = ByteBuffer.wrap(mad);
        m.putLong(8, 0x1234);
        m.putShort(16, (short) 0x0011); // NodeInfo
        byte[] resp = (byte[]) a.ok(new Command.MadIfc(1, mad));
        ByteBuffer r = ByteBuffer.wrap(resp);
        assertEquals(0x81, r.get(3) & 0xFF);
        assertEquals(0x1234, r.getLong(8));
        assertEquals(1, r.get(64 + 2)); // channel adapter
        assertEquals(1, r.get(64 + 3)); // ports
        assertEquals(a.hw.config().nodeGuid(), r.getLong(64 + 12));
        assertEquals(a.hw.config().portGuid(1), r.getLong(64 + 20));
        assertEquals(23108, r.getShort(64 + 30) & 0xFFFF);
        assertEquals(0x02C9, ((r.get(64 + 37) & 0xFF) << 16) | (r.getShort(64 + 38) & 0xFFFF));

        m.putShort(16, (short) 0x0015); // PortInfo
        m.putInt(20, 1);
        resp = (byte[]) a.ok(new Command.MadIfc(1, mad));
        r = ByteBuffer.wrap(resp);
        assertEquals(1, r.getShort(64 + 16)); // LID
        assertEquals(4, r.get(64 + 32) & 0xF); // Active
        assertEquals(Mtu.MTU_2048.code(), r.get(64 + 41) & 0xF);
        assertEquals(0xFE80000000000000L, r.getLong(64 + 8));

        assertSame(CommandStatus.BAD_PARAM, a.status(new Command.MadIfc(1, new byte[100])));
        assertSame(CommandStatus.BAD_PARAM, a.status(new Command.MadIfc(3, mad)));
    }

    /**
     * The rest of what a subnet manager reads in its sweep (NodeDescription, GUIDInfo,
     * P_KeyTable), directed-route too; an unsupported attribute or a modifier naming no block gets
     * a GetResp with the MAD status that says so; a Set is not consumed by the agent.
     */
    @Test
    public void madIfcAnswersTheSweepAttributesAndSaysWhyItAnswersNoOther() {
        TestHca a = tavor("a", 1);
        byte[] mad = new byte[256];
        mad[0] = 1;
        mad[1] = (byte) 0x81; // SubnDirectedRoute
        mad[2] = 1;
        mad[3] = 0x01; // Get
        ByteBuffer m = ByteBuffer.wrap(mad);
        m.putShort(16, (short) 0x0010); // NodeDescription
        ByteBuffer r = ByteBuffer.wrap((byte[]) a.ok(new Command.MadIfc(1, mad)));
        assertEquals("directed route: D bit, status 0", 0x8000, r.getShort(4) & 0xFFFF);
        byte[] text = new byte[64];
        r.get(64, text);
        assertEquals("irpverbs a MT23108", new String(text, java.nio.charset.StandardCharsets.UTF_8).replace("\0", ""));

        mad[1] = 0x01;
        m.putShort(16, (short) 0x0014); // GUIDInfo, block 0
        r = ByteBuffer.wrap((byte[]) a.ok(new Command.MadIfc(1, mad)));
        assertEquals(0, r.getShort(4));
        assertEquals(a.hw.config().portGuid(1), r.getLong(64));
        assertEquals("GUIDCap 1: the rest of the block is empty", 0, r.getLong(64 + 8));

        m.putShort(16, (short) 0x0016); // P_KeyTable, block 0
        r = ByteBuffer.wrap((byte[]) a.ok(new Command.MadIfc(1, mad)));
        assertEquals(0, r.getShort(4));
        assertEquals("the default partition, full member", 0xFFFF, r.getShort(64) & 0xFFFF);
        assertEquals(0, r.getShort(64 + 2));

        m.putInt(20, 2); // P_KeyTable block 2: the table has 64 entries, blocks 0 and 1
        r = ByteBuffer.wrap((byte[]) a.ok(new Command.MadIfc(1, mad)));
        assertEquals("invalid attribute modifier", 0x1C, r.getShort(4));
        m.putShort(16, (short) 0x0014); // GUIDInfo block 2
        assertEquals(0x1C, ByteBuffer.wrap((byte[]) a.ok(new Command.MadIfc(1, mad))).getShort(4));
        m.putShort(16, (short) 0x0015); // PortInfo of port 2 on a 1-port HCA
        assertEquals(0x1C, ByteBuffer.wrap((byte[]) a.ok(new Command.MadIfc(1, mad))).getShort(4));

        m.putInt(20, 0);
        m.putShort(16, (short) 0x0020); // SMInfo: a CA without an SM does not support it
        r = ByteBuffer.wrap((byte[]) a.ok(new Command.MadIfc(1, mad)));
        assertEquals(0x81, r.get(3) & 0xFF);
        assertEquals("method/attribute not supported", 0x0C, r.getShort(4));

        mad[3] = 0x02; // Set: left to the SM logic the agent does not have
        m.putShort(16, (short) 0x0015);
        assertNull(a.ok(new Command.MadIfc(1, mad)));
    }

    @Test
    public void portsComeUpGoDownAndCloseWithEvents() {
        TestHca a = tavor("a", 1);
        assertTrue(a.awaitEvent(AsyncEventType.PORT_ACTIVE, 1000));
        a.hw.fabricPort(1).setLinkUp(false);
        assertTrue(a.awaitEvent(AsyncEventType.PORT_DOWN, 1000));
        a.asyncEvents.clear();
        a.hw.fabricPort(1).setLinkUp(true);
        assertTrue(a.awaitEvent(AsyncEventType.PORT_ACTIVE, 1000));
        a.asyncEvents.clear();
        a.ok(new Command.CloseIb(1));
        assertTrue(a.awaitEvent(AsyncEventType.PORT_DOWN, 1000));
        assertNull(fabric.port(1));
        // the LID is taken by another HCA: INIT_IB fails cleanly
        TestHca c = tavor("c", 3);
        c.ok(new Command.CloseIb(1));
        HcaConfig clash = TestHca.fastConfig("d", HcaModel.MT23108, 3);
        TestHca d = new TestHca(SoftHcas.create(clash, fabric, io), false);
        hcas.add(d);
        d.ok(new Command.SysEn());
        d.ok(new Command.InitHca(TestHca.profile(false)));
        a.ok(new Command.InitIb(1, Mtu.MTU_1024));
        assertNotNull(fabric.port(1));
        c.ok(new Command.InitIb(1, Mtu.MTU_2048));
        assertSame(CommandStatus.BAD_PARAM, d.status(new Command.InitIb(1, Mtu.MTU_2048)));
        assertSame(CommandStatus.BAD_PARAM, d.status(new Command.InitIb(1, Mtu.MTU_4096)));
    }

    @Test
    public void resetDropsEverything() throws Exception {
        // class C commands take 150 ms here, so that one is surely still in flight at the reset
        TestHca b = TestHca.memFree(TestHca.config("b", HcaModel.MT25208, 2, 2_000, 10_000, 150_000_000), fabric, io,
                tuning());
        hcas.add(b);
        b.cq(1, 16);
        b.rcQp(3, 1, TestHca.ALL, 8, true);
        TestHca.Region r = b.region(256, TestHca.ALL);
        long mapped = b.hw.statistics().icmChunksMapped().values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(mapped >= 3);
        CompletableFuture<TestHca.Result> inFlight = b.post(new Command.SysDis());
        b.hw.reset();
        assertEquals(0, b.hw.firmware().outstanding());
        assertNull("ports leave the fabric", fabric.port(2));
        assertEquals(0, b.hw.statistics().icmChunksMapped().values().stream().mapToInt(Integer::intValue).sum());
        ReceiveWorkRequest rr = new ReceiveWorkRequest();
        rr.sgl.add(r.va(), 16, r.lkey());
        assertEquals(NtStatus.INVALID_PARAMETER, b.hw.dataPath().postReceive(3, rr));
        assertEquals(-1, b.hw.dataPath().pollCq(1, new WorkCompletion[4], 4));
        TestHca.sleep(300);
        assertFalse("a command in flight at reset never completes", inFlight.isDone());
        // back to the pre-start state: the firmware must be started again
        assertSame(CommandStatus.BAD_SYS_STATE, b.status(new Command.QueryDevLim()));
        b.forgetIcm();
        b.ok(new Command.MapFa(64));
        b.ok(new Command.RunFw());
        b.ok(new Command.InitHca(TestHca.profile(true)));
        b.ok(new Command.InitIb(1, Mtu.MTU_2048));
        assertNotNull(fabric.port(2));
        b.cq(1, 16);
    }

    @Test
    public void catastrophicErrorStopsTheHardware() {
        TestHca a = tavor("a", 1);
        a.cq(1, 16);
        a.rcQp(3, 1, TestHca.ALL, 8, true);
        a.hw.injectCatastrophicError();
        assertTrue(a.awaitEvent(AsyncEventType.CATASTROPHIC_ERROR, 1000));
        assertTrue(a.hw.isFailed());
        assertNull("the HCR refuses commands", a.post(new Command.QueryFw()));
        assertEquals(NtStatus.INVALID_DEVICE_STATE, a.hw.dataPath().postReceive(3, new ReceiveWorkRequest()));
        assertEquals(NtStatus.INVALID_DEVICE_STATE, a.hw.dataPath().postSend(3, new SendWorkRequest(), 0));
        assertFalse(a.hw.dataPath().armCq(1, false));
        assertNull(fabric.port(1));
        AsyncEvent e = a.asyncEvents.stream().filter(x -> x.type() == AsyncEventType.CATASTROPHIC_ERROR).findFirst()
                .orElseThrow();
        assertTrue(e.message(), e.message().contains("catastrophic"));
        a.hw.reset();
        assertFalse(a.hw.isFailed());
        a.ok(new Command.SysEn());
    }
}
