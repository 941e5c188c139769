package org.irpverbs.softhca.engine;

import java.util.BitSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.DataPath;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.softhca.wire.Lrh;

/**
 * Everything a chip reset throws away: firmware state, the INIT_HCA profile, context tables, ICM
 * mappings, event queues, ports and multicast groups. A reset replaces the whole object, so that
 * work still holding the old one (a command the engine is executing, a packet in flight, a timer)
 * can tell it is stale by its {@link #epoch} or {@link #dead} flag.
 *
 * <p>Threads: the engine thread writes everything (commands run there); the data path reads the
 * volatile table references and tables from any thread.
 */
final class DeviceState {
    /** Firmware state: before start, mem-free between MAP_FA and RUN_FW, running. */
    enum Fw {
        OFF, FA_MAPPED, RUNNING
    }

    /** Event queues the EQ number space allows (mthca: 64). */
    static final int MAX_EQS = 64;

    final long epoch;
    volatile boolean dead;
    Fw fw = Fw.OFF;
    /** How the firmware was started: RUN_FW (mem-free) or SYS_EN (Tavor mode). */
    boolean memFree;
    /** The INIT_HCA profile, or null before INIT_HCA / after CLOSE_HCA. */
    Command.Profile profile;
    volatile DataPath.DoorbellMode doorbellMode = DataPath.DoorbellMode.MMIO;
    volatile ContextTable<QpContext> qps;
    volatile ContextTable<CqContext> cqs;
    volatile ContextTable<Mpt> mpts;
    BitSet mttsWritten;
    final BitSet[] icmMapped = new BitSet[IcmTable.values().length];
    final int[][] icmLive = new int[IcmTable.values().length][];
    final AtomicIntegerArray icmChunksMapped = new AtomicIntegerArray(IcmTable.values().length);
    final boolean[] eqs = new boolean[MAX_EQS];
    final HcaPort[] ports;
    /**
     * CONF_SPECIAL_QP: per {@link org.irpverbs.verbs.SpecialQpType} ordinal, the QP context of port
     * 1's special QP of that type (port p's is base + p - 1), or -1 while not configured.
     */
    final int[] specialQpBase = {-1, -1};
    final MgmEntry[] mgm = new MgmEntry[Lrh.MULTICAST_LID_LAST - Lrh.MULTICAST_LID_FIRST + 1];
    int mgmCount;
    /** Valid MPTs by start address: how INLINE data is read at post time (see DataPath). */
    final ConcurrentSkipListMap<Long, Mpt> regionsByAddress = new ConcurrentSkipListMap<>();

    DeviceState(long epoch, HcaConfig config) {
        this.epoch = epoch;
        this.ports = new HcaPort[config.ports()];
        for (int i = 0; i < ports.length; i++) {
            ports[i] = new HcaPort(i + 1, config.mtu(), config.portLids().get(i));
        }
        for (IcmTable t : IcmTable.values()) {
            icmMapped[t.ordinal()] = new BitSet();
            icmLive[t.ordinal()] = new int[chunks(t, maxEntries(t, config))];
        }
    }

    static int maxEntries(IcmTable t, HcaConfig c) {
        return switch (t) {
            case QPC, EQPC -> c.maxQp();
            case CQC -> c.maxCq();
            case MPT -> c.maxMpt();
            case MTT -> c.maxMtt();
            case MCG -> c.maxMcg();
        };
    }

    static int profileEntries(IcmTable t, Command.Profile p) {
        return switch (t) {
            case QPC, EQPC -> p.qps();
            case CQC -> p.cqs();
            case MPT -> p.mpts();
            case MTT -> p.mtts();
            case MCG -> p.mcgs();
        };
    }

    static int chunks(IcmTable t, int entries) {
        return (int) (((long) entries + t.entriesPerChunk() - 1) / t.entriesPerChunk());
    }

    boolean initialized() {
        return profile != null;
    }

    boolean icmMapped(IcmTable t, int index) {
        return icmMapped[t.ordinal()].get(t.chunkOf(index));
    }

    void icmRef(IcmTable t, int index, int delta) {
        if (memFree) {
            icmLive[t.ordinal()][t.chunkOf(index)] += delta;
        }
    }

    /** The special QP type QP context {@code qpn} is configured as, or null; its port is {@link #specialPort}. */
    org.irpverbs.verbs.SpecialQpType specialType(int qpn) {
        for (org.irpverbs.verbs.SpecialQpType t : org.irpverbs.verbs.SpecialQpType.values()) {
            int base = specialQpBase[t.ordinal()];
            if (base >= 0 && qpn >= base && qpn < base + ports.length) {
                return t;
            }
        }
        return null;
    }

    /** The port of special QP context {@code qpn} of type {@code t}. */
    int specialPort(org.irpverbs.verbs.SpecialQpType t, int qpn) {
        return qpn - specialQpBase[t.ordinal()] + 1;
    }

    /** The QP context that is QPN {@code wireQpn} (0 or 1) of {@code port}, or null. */
    QpContext specialQp(int wireQpn, int port) {
        int base = specialQpBase[wireQpn];
        ContextTable<QpContext> table = qps;
        return base < 0 || table == null ? null : table.get(base + port - 1);
    }

    HcaPort port(int number) {
        return number >= 1 && number <= ports.length ? ports[number - 1] : null;
    }
}
