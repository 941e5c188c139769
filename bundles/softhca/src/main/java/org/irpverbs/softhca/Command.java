package org.irpverbs.softhca;

import java.nio.ByteBuffer;
import org.irpverbs.verbs.Mtu;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.SpecialQpType;

/**
 * A firmware command as posted to the HCR. Simplification (docs/architecture.md §11 allows it for
 * the physical layer): the PRM passes parameters in a mailbox of fixed byte layout; here the
 * mailbox is the typed record, and outputs come back as typed objects. Opcodes, latency classes,
 * tokens, the outstanding bound and completion statuses are the real mechanism.
 */
public sealed interface Command {
    Opcode opcode();

    /** QUERY_FW → {@link FirmwareInfo}. */
    record QueryFw() implements Command {
        public Opcode opcode() {
            return Opcode.QUERY_FW;
        }
    }

    /** QUERY_DEV_LIM → {@link DeviceLimits}. */
    record QueryDevLim() implements Command {
        public Opcode opcode() {
            return Opcode.QUERY_DEV_LIM;
        }
    }

    /** SYS_EN: Tavor start-up (DDR and firmware come up). */
    record SysEn() implements Command {
        public Opcode opcode() {
            return Opcode.SYS_EN;
        }
    }

    /** SYS_DIS: Tavor shutdown. */
    record SysDis() implements Command {
        public Opcode opcode() {
            return Opcode.SYS_DIS;
        }
    }

    /** MAP_FA: mem-free: give the firmware its host memory area. */
    record MapFa(int pages) implements Command {
        public Opcode opcode() {
            return Opcode.MAP_FA;
        }
    }

    /** RUN_FW: mem-free: start the firmware after MAP_FA. */
    record RunFw() implements Command {
        public Opcode opcode() {
            return Opcode.RUN_FW;
        }
    }

    /**
     * INIT_HCA with the driver's profile. In Tavor mode the tables are carved from on-card memory
     * (EXCEED_LIM if they do not fit); in mem-free mode contexts live in ICM the driver maps.
     */
    record InitHca(Profile profile) implements Command {
        public Opcode opcode() {
            return Opcode.INIT_HCA;
        }
    }

    record CloseHca() implements Command {
        public Opcode opcode() {
            return Opcode.CLOSE_HCA;
        }
    }

    /** INIT_IB: bring a port up on the fabric with this MTU. */
    record InitIb(int port, Mtu mtu) implements Command {
        public Opcode opcode() {
            return Opcode.INIT_IB;
        }
    }

    record CloseIb(int port) implements Command {
        public Opcode opcode() {
            return Opcode.CLOSE_IB;
        }
    }

    /** SW2HW_EQ: hand event queue {@code eqn} to the hardware; events go to the hardware's event handler. */
    record Sw2HwEq(int eqn) implements Command {
        public Opcode opcode() {
            return Opcode.SW2HW_EQ;
        }
    }

    record Hw2SwEq(int eqn) implements Command {
        public Opcode opcode() {
            return Opcode.HW2SW_EQ;
        }
    }

    /**
     * MAP_ICM: mem-free: back one 256 KiB chunk of a context table with host memory. SW2HW_MPT,
     * SW2HW_CQ, RST2INIT and WRITE_MTT fail with ICM_NOT_MAPPED while the chunk holding their
     * index ({@link IcmTable#chunkOf}) is not mapped.
     */
    record MapIcm(IcmTable table, int chunk) implements Command {
        public Opcode opcode() {
            return Opcode.MAP_ICM;
        }
    }

    record UnmapIcm(IcmTable table, int chunk) implements Command {
        public Opcode opcode() {
            return Opcode.UNMAP_ICM;
        }
    }

    /** WRITE_MTT: fill {@code count} translation entries from {@code base} (the region's pages). */
    record WriteMtt(int base, int count) implements Command {
        public Opcode opcode() {
            return Opcode.WRITE_MTT;
        }
    }

    /**
     * SW2HW_MPT: make memory protection entry {@code index} valid: key, PD, virtual range, rights,
     * the MTT segment it uses, and the host memory it translates to. The key is
     * {@code index << 8 | tag}: the hardware finds the entry from the key's high 24 bits and
     * checks the whole key, so a stale key (same index, old tag) is refused. Virtual address
     * {@code start + i} is byte {@code i} of {@code memory}.
     */
    record Sw2HwMpt(int index, int key, int pd, long start, long length, int access, int mttBase, int mttCount,
            ByteBuffer memory) implements Command {
        public Opcode opcode() {
            return Opcode.SW2HW_MPT;
        }
    }

    record Hw2SwMpt(int index) implements Command {
        public Opcode opcode() {
            return Opcode.HW2SW_MPT;
        }
    }

    /** SW2HW_CQ: CQ {@code cqn} with {@code entries} entries, reporting to event queue {@code eqn}. */
    record Sw2HwCq(int cqn, int entries, int eqn) implements Command {
        public Opcode opcode() {
            return Opcode.SW2HW_CQ;
        }
    }

    record Hw2SwCq(int cqn) implements Command {
        public Opcode opcode() {
            return Opcode.HW2SW_CQ;
        }
    }

    record ResizeCq(int cqn, int entries) implements Command {
        public Opcode opcode() {
            return Opcode.RESIZE_CQ;
        }
    }

    /** What RST2INIT needs besides the attributes: the QP's fixed properties. */
    record QpSetup(QpType type, int pd, int sendCqn, int recvCqn, int maxSendWr, int maxRecvWr, int maxSge,
            int maxInlineData, boolean signalAll) {
    }

    /**
     * A QP state transition ({@code RST2INIT_QPEE} ... {@code TO_RST_QPEE}): {@code setup} only for
     * RST2INIT; {@code attributes} as validated by the driver with
     * {@link org.irpverbs.verbs.QpTransitions}.
     */
    record ModifyQp(Opcode transition, int qpn, QpSetup setup, QpAttributes attributes) implements Command {
        public Opcode opcode() {
            return transition;
        }
    }

    /** QUERY_QPEE → {@link QpAttributes} with the state. */
    record QueryQp(int qpn) implements Command {
        public Opcode opcode() {
            return Opcode.QUERY_QPEE;
        }
    }

    /** WRITE_MGM: the QPs attached to multicast group {@code gid} / {@code mlid} (empty: the group is freed). */
    record WriteMgm(byte[] gid, int mlid, int[] qpns) implements Command {
        public Opcode opcode() {
            return Opcode.WRITE_MGM;
        }
    }

    /**
     * CONF_SPECIAL_QP (mthca_CONF_SPECIAL_QP): QP contexts {@code baseQpn} .. {@code baseQpn + ports - 1}
     * become QPN 0 (SMI) or 1 (GSI) of ports 1 .. n: the hardware delivers packets for that QPN of a
     * port to the port's context and sends from it with that source QPN. The PRM passes the type in
     * the op modifier ({@link SpecialQpType#qpn()}: 0 SMI, 1 GSI). Only while no QP uses the old or
     * the new range; a base of -1 disables the type.
     */
    record ConfSpecialQp(SpecialQpType type, int baseQpn) implements Command {
        public Opcode opcode() {
            return Opcode.CONF_SPECIAL_QP;
        }
    }

    /** MAD_IFC: hand a 256-byte MAD to the port's management agent; the output is the response MAD or null. */
    record MadIfc(int port, byte[] mad) implements Command {
        public Opcode opcode() {
            return Opcode.MAD_IFC;
        }
    }

    record Nop() implements Command {
        public Opcode opcode() {
            return Opcode.NOP;
        }
    }

    /** The INIT_HCA profile. */
    record Profile(int qps, int cqs, int mpts, int mtts, int mcgs, boolean memFree) {
        /** On-card bytes the tables take in Tavor mode. */
        public long contextBytes() {
            return (long) qps * IcmTable.QPC.entryBytes() + (long) qps * IcmTable.EQPC.entryBytes()
                    + (long) cqs * IcmTable.CQC.entryBytes() + (long) mpts * IcmTable.MPT.entryBytes()
                    + (long) mtts * IcmTable.MTT.entryBytes() + (long) mcgs * IcmTable.MCG.entryBytes();
        }
    }

    /** QUERY_FW output. */
    record FirmwareInfo(int major, int minor, int subminor, int logMaxOutstanding) {
        public String version() {
            return major + "." + minor + "." + subminor;
        }
    }

    /** QUERY_DEV_LIM output. */
    record DeviceLimits(int maxQp, int maxCq, int maxMpt, int maxMtt, int maxMcg, int maxPd, int ports, int maxQpWr,
            int maxSge, int maxCqe, int maxInlineData, long onCardMemoryBytes, boolean memFreeCapable,
            boolean tavorCapable) {
    }
}
