package org.irpverbs.softhca.engine;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.CommandStatus;
import org.irpverbs.softhca.DataPath;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.softhca.Opcode;
import org.irpverbs.softhca.fabric.FabricPort;
import org.irpverbs.softhca.wire.Gid;
import org.irpverbs.softhca.wire.Lrh;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.AsyncEventType;
import org.irpverbs.verbs.Mtu;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpTransitions;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.SpecialQpType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The firmware: executes each HCR command's effect on the engine thread and returns its status
 * (the output, if any, through {@link #takeOutput()}). Validation order per command: firmware
 * state (BAD_SYS_STATE), index range from the INIT_HCA profile (BAD_INDEX), mem-free ICM mapping
 * (ICM_NOT_MAPPED), resource state (BAD_RES_STATE / BAD_QP_STATE), then parameters (BAD_PARAM,
 * EXCEED_LIM). A failing command changes nothing.
 *
 * <p>Not thread-safe: engine thread only.
 */
final class CommandProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(CommandProcessor.class);

    /** Device limits QUERY_DEV_LIM reports besides the configured table sizes. */
    static final int MAX_PD = 1 << 15;
    static final int MAX_QP_WR = 16384;
    static final int MAX_SGE = org.irpverbs.verbs.ScatterGatherList.MAX;
    static final int MAX_CQE = (1 << 17) - 1;
    static final int MAX_INLINE = 512;

    private final SoftHca hca;
    private final HcaConfig config;
    private Object output;
    /** Events that follow the command's completion (a port coming up after INIT_IB). */
    private final List<AsyncEvent> after = new ArrayList<>();

    CommandProcessor(SoftHca hca) {
        this.hca = hca;
        this.config = hca.config;
    }

    Object takeOutput() {
        Object o = output;
        output = null;
        return o;
    }

    /** Events to raise after the completion just produced; the list is cleared by the caller. */
    List<AsyncEvent> eventsAfter() {
        return after;
    }

    CommandStatus execute(DeviceState s, Command c) {
        output = null;
        after.clear();
        CommandStatus gate = gate(s, c.opcode());
        if (gate != null) {
            return gate;
        }
        if (c instanceof Command.QueryFw) {
            int[] v = SoftHca.FW_VERSIONS[config.model().ordinal()];
            output = new Command.FirmwareInfo(v[0], v[1], v[2], config.logMaxOutstanding());
            return CommandStatus.OK;
        } else if (c instanceof Command.QueryDevLim) {
            output = new Command.DeviceLimits(config.maxQp(), config.maxCq(), config.maxMpt(), config.maxMtt(),
                    config.maxMcg(), MAX_PD, config.ports(), MAX_QP_WR, MAX_SGE, MAX_CQE, MAX_INLINE,
                    config.onCardMemoryBytes(), config.model().supportsMemFreeMode(),
                    config.model().supportsTavorMode());
            return CommandStatus.OK;
        } else if (c instanceof Command.SysEn) {
            if (!config.model().supportsTavorMode()) {
                return CommandStatus.BAD_OP;
            }
            s.fw = DeviceState.Fw.RUNNING;
            s.memFree = false;
            s.doorbellMode = DataPath.DoorbellMode.MMIO;
            return CommandStatus.OK;
        } else if (c instanceof Command.SysDis) {
            closeHca(s);
            s.fw = DeviceState.Fw.OFF;
            return CommandStatus.OK;
        } else if (c instanceof Command.MapFa m) {
            if (!config.model().supportsMemFreeMode()) {
                return CommandStatus.BAD_OP;
            }
            if (m.pages() <= 0) {
                return CommandStatus.BAD_PARAM;
            }
            s.fw = DeviceState.Fw.FA_MAPPED;
            return CommandStatus.OK;
        } else if (c instanceof Command.RunFw) {
            s.fw = DeviceState.Fw.RUNNING;
            s.memFree = true;
            s.doorbellMode = DataPath.DoorbellMode.DOORBELL_RECORD;
            return CommandStatus.OK;
        } else if (c instanceof Command.InitHca i) {
            return initHca(s, i.profile());
        } else if (c instanceof Command.CloseHca) {
            closeHca(s);
            return CommandStatus.OK;
        } else if (c instanceof Command.InitIb i) {
            return initIb(s, i.port(), i.mtu());
        } else if (c instanceof Command.CloseIb i) {
            HcaPort p = s.port(i.port());
            if (p == null) {
                return CommandStatus.BAD_PARAM;
            }
            closePort(s, p);
            return CommandStatus.OK;
        } else if (c instanceof Command.Sw2HwEq e) {
            if (e.eqn() < 0 || e.eqn() >= DeviceState.MAX_EQS) {
                return CommandStatus.BAD_INDEX;
            }
            if (s.eqs[e.eqn()]) {
                return CommandStatus.BAD_RES_STATE;
            }
            s.eqs[e.eqn()] = true;
            return CommandStatus.OK;
        } else if (c instanceof Command.Hw2SwEq e) {
            if (e.eqn() < 0 || e.eqn() >= DeviceState.MAX_EQS) {
                return CommandStatus.BAD_INDEX;
            }
            if (!s.eqs[e.eqn()]) {
                return CommandStatus.BAD_RES_STATE;
            }
            s.eqs[e.eqn()] = false;
            return CommandStatus.OK;
        } else if (c instanceof Command.MapIcm m) {
            return mapIcm(s, m.table(), m.chunk(), true);
        } else if (c instanceof Command.UnmapIcm m) {
            return mapIcm(s, m.table(), m.chunk(), false);
        } else if (c instanceof Command.WriteMtt w) {
            return writeMtt(s, w.base(), w.count());
        } else if (c instanceof Command.Sw2HwMpt m) {
            return sw2hwMpt(s, m);
        } else if (c instanceof Command.Hw2SwMpt m) {
            return hw2swMpt(s, m.index());
        } else if (c instanceof Command.Sw2HwCq q) {
            return sw2hwCq(s, q.cqn(), q.entries(), q.eqn());
        } else if (c instanceof Command.Hw2SwCq q) {
            return hw2swCq(s, q.cqn());
        } else if (c instanceof Command.ResizeCq q) {
            return resizeCq(s, q.cqn(), q.entries());
        } else if (c instanceof Command.ModifyQp m) {
            return modifyQp(s, m);
        } else if (c instanceof Command.QueryQp q) {
            return queryQp(s, q.qpn());
        } else if (c instanceof Command.WriteMgm m) {
            return writeMgm(s, m.gid(), m.mlid(), m.qpns());
        } else if (c instanceof Command.ConfSpecialQp q) {
            return confSpecialQp(s, q);
        } else if (c instanceof Command.MadIfc m) {
            if (s.port(m.port()) == null || m.mad() == null || m.mad().length != MadAgent.MAD_BYTES) {
                return CommandStatus.BAD_PARAM;
            }
            output = MadAgent.process(config, s, m.port(), m.mad());
            return CommandStatus.OK;
        } else if (c instanceof Command.Nop) {
            return CommandStatus.OK;
        }
        return CommandStatus.BAD_OP;
    }

    /** Which commands the firmware state allows; null if this one may run. */
    private static CommandStatus gate(DeviceState s, Opcode op) {
        if (op == Opcode.QUERY_FW) {
            return null;
        }
        switch (s.fw) {
            case OFF:
                return op == Opcode.SYS_EN || op == Opcode.MAP_FA || op == Opcode.SYS_DIS ? null
                        : CommandStatus.BAD_SYS_STATE;
            case FA_MAPPED:
                return op == Opcode.RUN_FW || op == Opcode.SYS_DIS ? null : CommandStatus.BAD_SYS_STATE;
            default:
                if (op == Opcode.SYS_EN || op == Opcode.MAP_FA || op == Opcode.RUN_FW) {
                    return CommandStatus.BAD_SYS_STATE;
                }
                if (!s.initialized()) {
                    return op == Opcode.QUERY_DEV_LIM || op == Opcode.NOP || op == Opcode.INIT_HCA
                            || op == Opcode.SYS_DIS || op == Opcode.MAP_ICM || op == Opcode.UNMAP_ICM
                            || op == Opcode.CLOSE_HCA ? null : CommandStatus.BAD_SYS_STATE;
                }
                return op == Opcode.INIT_HCA ? CommandStatus.BAD_SYS_STATE : null;
        }
    }

    // ---- HCA and ports ----

    private CommandStatus initHca(DeviceState s, Command.Profile p) {
        if (p == null) {
            return CommandStatus.BAD_PARAM;
        }
        if (p.memFree() != s.memFree) {
            return CommandStatus.BAD_SYS_STATE; // started with SYS_EN (Tavor) or RUN_FW (mem-free), not both
        }
        if (p.memFree() ? !config.model().supportsMemFreeMode() : !config.model().supportsTavorMode()) {
            return CommandStatus.BAD_PARAM;
        }
        if (p.qps() < 1 || p.cqs() < 1 || p.mpts() < 1 || p.mtts() < 1 || p.mcgs() < 1) {
            return CommandStatus.BAD_PARAM;
        }
        if (p.qps() > config.maxQp() || p.cqs() > config.maxCq() || p.mpts() > config.maxMpt()
                || p.mtts() > config.maxMtt() || p.mcgs() > config.maxMcg()) {
            return CommandStatus.EXCEED_LIM;
        }
        if (!p.memFree() && p.contextBytes() > config.onCardMemoryBytes()) {
            return CommandStatus.EXCEED_LIM; // Tavor: the tables are carved from on-card DDR
        }
        s.profile = p;
        s.qps = new ContextTable<>(p.qps());
        s.cqs = new ContextTable<>(p.cqs());
        s.mpts = new ContextTable<>(p.mpts());
        s.mttsWritten = new BitSet();
        s.doorbellMode = p.memFree() ? DataPath.DoorbellMode.DOORBELL_RECORD : DataPath.DoorbellMode.MMIO;
        return CommandStatus.OK;
    }

    private void closeHca(DeviceState s) {
        for (HcaPort p : s.ports) {
            closePort(s, p);
        }
        s.profile = null;
        java.util.Arrays.fill(s.specialQpBase, -1);
        s.qps = null;
        s.cqs = null;
        s.mpts = null;
        s.mttsWritten = null;
        java.util.Arrays.fill(s.eqs, false);
        java.util.Arrays.fill(s.mgm, null);
        s.mgmCount = 0;
        s.regionsByAddress.clear();
        for (int[] live : s.icmLive) {
            java.util.Arrays.fill(live, 0);
        }
    }

    private CommandStatus initIb(DeviceState s, int port, Mtu mtu) {
        HcaPort p = s.port(port);
        if (p == null || mtu == null || mtu.bytes() > config.mtu().bytes()) {
            return CommandStatus.BAD_PARAM;
        }
        FabricPort fp = p.fabricPort;
        if (fp != null && fp.isAttached()) {
            fp.setMtu(mtu);
            p.mtu = mtu;
            return CommandStatus.OK;
        }
        int lid = config.portLids().get(port - 1);
        try {
            fp = hca.fabric.attach(config.name() + "/" + port, config.portGuid(port), lid, mtu, hca.receiverFor(s, port));
        } catch (IllegalArgumentException e) {
            LOG.warn("{}: INIT_IB port {}: {}", config.name(), port, e.getMessage());
            return CommandStatus.BAD_PARAM;
        }
        p.mtu = mtu;
        p.lid = lid;
        p.fabricPort = fp;
        for (int slot = 0; slot < s.mgm.length; slot++) {
            if (s.mgm[slot] != null) {
                syncMulticast(s, slot);
            }
        }
        if (lid != 0) {
            after.add(new AsyncEvent(AsyncEventType.PORT_ACTIVE, port, 0,
                    config.name() + " port " + port + " active, LID 0x" + Integer.toHexString(lid)));
        }
        return CommandStatus.OK;
    }

    private void closePort(DeviceState s, HcaPort p) {
        FabricPort fp = p.fabricPort;
        if (fp != null) {
            p.fabricPort = null;
            fp.detach();
            after.add(new AsyncEvent(AsyncEventType.PORT_DOWN, p.number, 0,
                    config.name() + " port " + p.number + " closed"));
        }
    }

    // ---- ICM and MTT ----

    private int tableEntries(DeviceState s, IcmTable t) {
        return s.initialized() ? DeviceState.profileEntries(t, s.profile) : DeviceState.maxEntries(t, config);
    }

    private CommandStatus mapIcm(DeviceState s, IcmTable t, int chunk, boolean map) {
        if (!s.memFree) {
            return CommandStatus.BAD_OP; // Tavor-mode firmware has no ICM
        }
        if (t == null) {
            return CommandStatus.BAD_PARAM;
        }
        if (chunk < 0 || chunk >= DeviceState.chunks(t, tableEntries(s, t))) {
            return CommandStatus.BAD_INDEX;
        }
        BitSet mapped = s.icmMapped[t.ordinal()];
        if (map) {
            if (mapped.get(chunk)) {
                return CommandStatus.BAD_RES_STATE;
            }
            mapped.set(chunk);
            s.icmChunksMapped.incrementAndGet(t.ordinal());
        } else {
            if (!mapped.get(chunk) || s.icmLive[t.ordinal()][chunk] > 0) {
                return CommandStatus.BAD_RES_STATE;
            }
            mapped.clear(chunk);
            s.icmChunksMapped.decrementAndGet(t.ordinal());
        }
        return CommandStatus.OK;
    }

    private CommandStatus writeMtt(DeviceState s, int base, int count) {
        if (count < 1) {
            return CommandStatus.BAD_PARAM;
        }
        if (base < 0 || (long) base + count > s.profile.mtts()) {
            return CommandStatus.BAD_INDEX;
        }
        if (s.memFree) {
            for (int chunk = IcmTable.MTT.chunkOf(base); chunk <= IcmTable.MTT.chunkOf(base + count - 1); chunk++) {
                if (!s.icmMapped[IcmTable.MTT.ordinal()].get(chunk)) {
                    return CommandStatus.ICM_NOT_MAPPED;
                }
            }
        }
        s.mttsWritten.set(base, base + count);
        return CommandStatus.OK;
    }

    private void mttRefs(DeviceState s, Mpt m, int delta) {
        if (s.memFree && m.mttCount > 0) {
            for (int chunk = IcmTable.MTT.chunkOf(m.mttBase); chunk <= IcmTable.MTT.chunkOf(m.mttBase + m.mttCount - 1);
                    chunk++) {
                s.icmLive[IcmTable.MTT.ordinal()][chunk] += delta;
            }
        }
    }

    // ---- memory protection table ----

    private CommandStatus sw2hwMpt(DeviceState s, Command.Sw2HwMpt m) {
        int index = m.index();
        if (index < 0 || index >= s.profile.mpts()) {
            return CommandStatus.BAD_INDEX;
        }
        if (s.memFree && !s.icmMapped(IcmTable.MPT, index)) {
            return CommandStatus.ICM_NOT_MAPPED;
        }
        if (s.mpts.get(index) != null) {
            return CommandStatus.BAD_RES_STATE;
        }
        ByteBuffer memory = m.memory();
        if ((m.key() >>> 8) != index || m.pd() < 0 || m.pd() >= MAX_PD || AccessFlags.invalidReason(m.access()) != null
                || m.length() < 0 || m.start() > Long.MAX_VALUE - m.length() || memory == null
                || memory.capacity() < m.length()) {
            return CommandStatus.BAD_PARAM;
        }
        if (memory.isReadOnly()
                && (m.access() & (AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_WRITE | AccessFlags.REMOTE_ATOMIC)) != 0) {
            return CommandStatus.BAD_PARAM;
        }
        if (m.mttCount() < 0 || (m.mttCount() > 0 && (m.mttBase() < 0
                || (long) m.mttBase() + m.mttCount() > s.profile.mtts()))) {
            return CommandStatus.BAD_INDEX;
        }
        Mpt entry = new Mpt(index, m.key(), m.pd(), m.start(), m.length(), m.access(), m.mttBase(), m.mttCount(),
                memory);
        s.mpts.set(index, entry);
        s.icmRef(IcmTable.MPT, index, 1);
        mttRefs(s, entry, 1);
        s.regionsByAddress.put(entry.start, entry);
        return CommandStatus.OK;
    }

    private CommandStatus hw2swMpt(DeviceState s, int index) {
        if (index < 0 || index >= s.profile.mpts()) {
            return CommandStatus.BAD_INDEX;
        }
        Mpt entry = s.mpts.get(index);
        if (entry == null) {
            return CommandStatus.BAD_RES_STATE;
        }
        s.mpts.set(index, null);
        s.icmRef(IcmTable.MPT, index, -1);
        mttRefs(s, entry, -1);
        s.regionsByAddress.remove(entry.start, entry);
        return CommandStatus.OK;
    }

    // ---- completion queues ----

    private CommandStatus sw2hwCq(DeviceState s, int cqn, int entries, int eqn) {
        if (cqn < 0 || cqn >= s.profile.cqs()) {
            return CommandStatus.BAD_INDEX;
        }
        if (s.memFree && !s.icmMapped(IcmTable.CQC, cqn)) {
            return CommandStatus.ICM_NOT_MAPPED;
        }
        if (s.cqs.get(cqn) != null) {
            return CommandStatus.BAD_RES_STATE;
        }
        if (entries < 1 || entries > MAX_CQE || eqn < 0 || eqn >= DeviceState.MAX_EQS) {
            return CommandStatus.BAD_PARAM;
        }
        s.cqs.set(cqn, new CqContext(cqn, entries, eqn));
        s.icmRef(IcmTable.CQC, cqn, 1);
        return CommandStatus.OK;
    }

    private CommandStatus hw2swCq(DeviceState s, int cqn) {
        if (cqn < 0 || cqn >= s.profile.cqs()) {
            return CommandStatus.BAD_INDEX;
        }
        CqContext cq = s.cqs.get(cqn);
        if (cq == null || cq.qpRefs > 0) {
            return CommandStatus.BAD_RES_STATE;
        }
        s.cqs.set(cqn, null);
        s.icmRef(IcmTable.CQC, cqn, -1);
        return CommandStatus.OK;
    }

    private CommandStatus resizeCq(DeviceState s, int cqn, int entries) {
        if (cqn < 0 || cqn >= s.profile.cqs()) {
            return CommandStatus.BAD_INDEX;
        }
        CqContext cq = s.cqs.get(cqn);
        if (cq == null) {
            return CommandStatus.BAD_RES_STATE;
        }
        if (entries < 1 || entries > MAX_CQE || !cq.resize(entries)) {
            return CommandStatus.BAD_PARAM; // smaller than the CQEs it holds
        }
        return CommandStatus.OK;
    }

    // ---- queue pairs ----

    /** The state a transition starts from (null: any) and the state it leads to. */
    private static QpState[] transition(Opcode op) {
        return switch (op) {
            case RST2INIT_QPEE -> new QpState[] {QpState.RESET, QpState.INIT};
            case INIT2INIT_QPEE -> new QpState[] {QpState.INIT, QpState.INIT};
            case INIT2RTR_QPEE -> new QpState[] {QpState.INIT, QpState.RTR};
            case RTR2RTS_QPEE -> new QpState[] {QpState.RTR, QpState.RTS};
            case RTS2RTS_QPEE -> new QpState[] {QpState.RTS, QpState.RTS};
            case SQERR2RTS_QPEE -> new QpState[] {QpState.SQE, QpState.RTS};
            case RTS2SQD_QPEE -> new QpState[] {QpState.RTS, QpState.SQD};
            case SQD2RTS_QPEE -> new QpState[] {QpState.SQD, QpState.RTS};
            case SQD2SQD_QPEE -> new QpState[] {QpState.SQD, QpState.SQD};
            case TO_ERR_QPEE -> new QpState[] {null, QpState.ERR};
            case TO_RST_QPEE -> new QpState[] {null, QpState.RESET};
            default -> null;
        };
    }

    private CommandStatus modifyQp(DeviceState s, Command.ModifyQp m) {
        QpState[] t = m.transition() == null ? null : transition(m.transition());
        if (t == null) {
            return CommandStatus.BAD_OP;
        }
        int qpn = m.qpn();
        if (qpn < 0 || qpn >= s.profile.qps()) {
            return CommandStatus.BAD_INDEX;
        }
        boolean create = m.transition() == Opcode.RST2INIT_QPEE;
        if (create && s.memFree && !s.icmMapped(IcmTable.QPC, qpn)) {
            return CommandStatus.ICM_NOT_MAPPED;
        }
        QpContext qp = s.qps.get(qpn);
        QpState current = qp == null ? QpState.RESET : qp.state;
        if (t[0] != null && t[0] != current) {
            return CommandStatus.BAD_QP_STATE;
        }
        QpState target = t[1];
        if (qp == null && !create) {
            return target == QpState.RESET ? CommandStatus.OK : CommandStatus.BAD_QP_STATE;
        }
        QpAttributes a = new QpAttributes();
        if (m.attributes() != null) {
            a.copyFrom(m.attributes());
        }
        if (a.has(QpAttributes.STATE) && a.state != target) {
            return CommandStatus.BAD_PARAM;
        }
        a.toState(target);
        QpType type = create ? (m.setup() == null ? null : m.setup().type()) : qp.type;
        if (type == null) {
            return CommandStatus.BAD_PARAM;
        }
        String why = QpTransitions.check(type, current, a);
        if (why == null) {
            why = checkValues(a);
        }
        if (why != null) {
            LOG.debug("{}: {} QP 0x{}: {}", config.name(), m.transition(), Integer.toHexString(qpn), why);
            return CommandStatus.BAD_PARAM;
        }
        if (create) {
            Command.QpSetup setup = m.setup();
            CqContext sendCq = s.cqs.get(setup.sendCqn());
            CqContext recvCq = s.cqs.get(setup.recvCqn());
            if (sendCq == null || recvCq == null || setup.pd() < 0 || setup.pd() >= MAX_PD || setup.maxSendWr() < 1
                    || setup.maxSendWr() > MAX_QP_WR || setup.maxRecvWr() < 0 || setup.maxRecvWr() > MAX_QP_WR
                    || setup.maxSge() < 0 || setup.maxSge() > MAX_SGE || setup.maxInlineData() < 0
                    || setup.maxInlineData() > MAX_INLINE) {
                return CommandStatus.BAD_PARAM;
            }
            SpecialQpType special = s.specialType(qpn);
            if (special != null && (setup.type() != QpType.UD || a.port != s.specialPort(special, qpn))) {
                LOG.debug("{}: RST2INIT of special QP context 0x{}: UD on port {} only", config.name(),
                        Integer.toHexString(qpn), s.specialPort(special, qpn));
                return CommandStatus.BAD_PARAM;
            }
            qp = new QpContext(qpn, s, setup, sendCq, recvCq);
            if (special != null) {
                qp.special = special;
                qp.wireQpn = special.qpn();
            }
            qp.live = true;
            sendCq.qpRefs++;
            recvCq.qpRefs++;
            s.icmRef(IcmTable.QPC, qpn, 1);
            apply(qp, a);
            qp.state = QpState.INIT;
            s.qps.set(qpn, qp);
            return CommandStatus.OK;
        }
        if (qp.special != null && a.has(QpAttributes.PORT) && a.port != qp.attrs.port) {
            return CommandStatus.BAD_PARAM; // a special QP belongs to its port
        }
        apply(qp, a);
        switch (target) {
            case RESET -> {
                hca.transport.resetQp(qp);
                if (qp.live) {
                    qp.live = false;
                    qp.sendCq.qpRefs--;
                    qp.recvCq.qpRefs--;
                    s.icmRef(IcmTable.QPC, qpn, -1);
                }
            }
            case ERR -> hca.transport.enterError(qp, null);
            case RTR -> {
                qp.expectedPsn = qp.attrs.rqPsn & 0xFFFFFF;
                qp.state = QpState.RTR;
            }
            case RTS -> {
                if (current == QpState.RTR) {
                    qp.nextPsn = qp.attrs.sqPsn & 0xFFFFFF;
                    qp.highestPsn = qp.nextPsn;
                    qp.unackedPsn = qp.nextPsn;
                }
                qp.state = QpState.RTS;
                hca.engine.ring(qp); // sends queued in SQD or SQE proceed
            }
            default -> qp.state = target;
        }
        return CommandStatus.OK;
    }

    /** What the hardware itself checks beyond the transition table: ports, P_Key index, path MTU. */
    private String checkValues(QpAttributes a) {
        if (a.has(QpAttributes.PORT) && (a.port < 1 || a.port > config.ports())) {
            return "port " + a.port + " does not exist";
        }
        if (a.has(QpAttributes.PKEY_INDEX) && a.pkeyIndex >= HcaPort.PKEY_TABLE_SIZE) {
            return "P_Key index " + a.pkeyIndex + " beyond the " + HcaPort.PKEY_TABLE_SIZE + "-entry table";
        }
        if (a.has(QpAttributes.PATH_MTU) && a.pathMtu.bytes() > config.mtu().bytes()) {
            return "path MTU " + a.pathMtu + " exceeds the port MTU " + config.mtu();
        }
        return null;
    }

    private static void apply(QpContext qp, QpAttributes a) {
        QpAttributes q = qp.attrs;
        if (a.has(QpAttributes.ACCESS_FLAGS)) {
            q.accessFlags = a.accessFlags;
        }
        if (a.has(QpAttributes.PKEY_INDEX)) {
            q.pkeyIndex = a.pkeyIndex;
        }
        if (a.has(QpAttributes.PORT)) {
            q.port = a.port;
        }
        if (a.has(QpAttributes.QKEY)) {
            q.qkey = a.qkey;
        }
        if (a.has(QpAttributes.AV)) {
            q.destLid = a.destLid;
            q.serviceLevel = a.serviceLevel;
        }
        if (a.has(QpAttributes.PATH_MTU)) {
            q.pathMtu = a.pathMtu;
        }
        if (a.has(QpAttributes.TIMEOUT)) {
            q.timeout = a.timeout;
        }
        if (a.has(QpAttributes.RETRY_CNT)) {
            q.retryCount = a.retryCount;
        }
        if (a.has(QpAttributes.RNR_RETRY)) {
            q.rnrRetry = a.rnrRetry;
        }
        if (a.has(QpAttributes.RQ_PSN)) {
            q.rqPsn = a.rqPsn;
        }
        if (a.has(QpAttributes.SQ_PSN)) {
            q.sqPsn = a.sqPsn;
        }
        if (a.has(QpAttributes.MAX_QP_RD_ATOMIC)) {
            q.maxReadAtomic = a.maxReadAtomic;
        }
        if (a.has(QpAttributes.MAX_DEST_RD_ATOMIC)) {
            q.maxDestReadAtomic = a.maxDestReadAtomic;
        }
        if (a.has(QpAttributes.MIN_RNR_TIMER)) {
            q.minRnrTimer = a.minRnrTimer;
        }
        if (a.has(QpAttributes.DEST_QPN)) {
            q.destQpn = a.destQpn;
        }
        q.mask |= a.mask & ~QpAttributes.STATE;
    }

    private CommandStatus queryQp(DeviceState s, int qpn) {
        if (qpn < 0 || qpn >= s.profile.qps()) {
            return CommandStatus.BAD_INDEX;
        }
        QpContext qp = s.qps.get(qpn);
        QpAttributes out = new QpAttributes();
        if (qp == null) {
            out.toState(QpState.RESET);
        } else {
            out.copyFrom(qp.attrs);
            out.toState(qp.state);
            if (qp.state != QpState.RESET) {
                out.sqPsn = qp.nextPsn;
                out.rqPsn = qp.expectedPsn;
            }
        }
        output = out;
        return CommandStatus.OK;
    }

    /**
     * CONF_SPECIAL_QP: the range of QP contexts that are the ports' QP0 or QP1. Refused
     * (BAD_RES_STATE) while a context in the old or new range lives, because the hardware would
     * otherwise reroute a live QP.
     */
    private CommandStatus confSpecialQp(DeviceState s, Command.ConfSpecialQp q) {
        if (q.type() == null) {
            return CommandStatus.BAD_PARAM;
        }
        int base = q.baseQpn();
        int ports = s.ports.length;
        if (base < -1 || (base >= 0 && (long) base + ports > s.profile.qps())) {
            return CommandStatus.BAD_INDEX;
        }
        int old = s.specialQpBase[q.type().ordinal()];
        for (int range : new int[] {old, base}) {
            for (int i = 0; range >= 0 && i < ports; i++) {
                QpContext live = s.qps.get(range + i);
                if (live != null && live.live) {
                    return CommandStatus.BAD_RES_STATE;
                }
            }
        }
        if (base >= 0) {
            for (SpecialQpType other : SpecialQpType.values()) {
                int ob = s.specialQpBase[other.ordinal()];
                if (other != q.type() && ob >= 0 && base < ob + ports && ob < base + ports) {
                    return CommandStatus.BAD_PARAM; // the two types' ranges overlap
                }
            }
        }
        s.specialQpBase[q.type().ordinal()] = base;
        return CommandStatus.OK;
    }

    // ---- multicast ----

    private CommandStatus writeMgm(DeviceState s, byte[] gid, int mlid, int[] qpns) {
        if (gid == null || gid.length != Gid.BYTES || !Lrh.isMulticast(mlid)) {
            return CommandStatus.BAD_PARAM;
        }
        int[] members = qpns == null ? new int[0] : qpns.clone();
        for (int qpn : members) {
            QpContext qp = s.qps.get(qpn);
            if (qp == null || qp.type != QpType.UD || qp.special != null) {
                return CommandStatus.BAD_PARAM; // QP0 and QP1 never join a group (IBA 10.5.2.1)
            }
        }
        int slot = mlid - Lrh.MULTICAST_LID_FIRST;
        MgmEntry old = s.mgm[slot];
        if (members.length == 0) {
            if (old != null) {
                s.mgm[slot] = null;
                s.mgmCount--;
            }
        } else {
            if (old == null && s.mgmCount >= s.profile.mcgs()) {
                return CommandStatus.EXCEED_LIM;
            }
            if (old == null) {
                s.mgmCount++;
            }
            s.mgm[slot] = new MgmEntry(Gid.of(gid), mlid, members);
        }
        syncMulticast(s, slot);
        return CommandStatus.OK;
    }

    /** Joins or leaves the group on each up port according to the ports of the attached QPs. */
    private static void syncMulticast(DeviceState s, int slot) {
        MgmEntry e = s.mgm[slot];
        int mlid = slot + Lrh.MULTICAST_LID_FIRST;
        for (HcaPort p : s.ports) {
            FabricPort fp = p.fabricPort;
            if (fp == null || !fp.isAttached()) {
                continue;
            }
            boolean needed = false;
            if (e != null) {
                for (int qpn : e.qpns()) {
                    QpContext qp = s.qps.get(qpn);
                    if (qp != null && qp.attrs.port == p.number) {
                        needed = true;
                        break;
                    }
                }
            }
            if (needed) {
                fp.join(mlid, e.gid());
            } else {
                fp.leave(mlid);
            }
        }
    }
}
