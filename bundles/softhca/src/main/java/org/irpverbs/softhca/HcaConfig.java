package org.irpverbs.softhca;

import java.util.List;
import org.irpverbs.verbs.Mtu;

/**
 * The configuration of one soft HCA's hardware, as a bus reads it from a ConfigAdmin factory
 * configuration. Figures follow the Linux/Windows mthca drivers; latencies are the simulation's,
 * scaled down from the PRM's (about 1 ms, 10 ms, 100 ms for classes A, B, C) with their ratios kept.
 *
 * @param name                 instance name, e.g. "hca0" (unique per bus)
 * @param model                the hardware model
 * @param ports                number of ports (1..2)
 * @param onCardMemoryBytes    Tavor-mode DDR for context tables (ignored in mem-free mode)
 * @param logMaxOutstanding    QUERY_FW's log2 of the commands the HCR accepts at once (0..8)
 * @param classANanos          latency of class A commands (queries, NOP, MAD_IFC)
 * @param classBNanos          latency of class B commands (SW2HW/HW2SW, QP transitions, MAP_ICM)
 * @param classCNanos          latency of class C commands (INIT_HCA, CLOSE_HCA, MAP_FA, RUN_FW)
 * @param nodeGuid             node GUID; port GUIDs are nodeGuid + port
 * @param portLids             LID of each port until a subnet manager assigns one (0 = none)
 * @param mtu                  the ports' maximum MTU
 * @param maxQp                profile: QPs (default 64K)
 * @param maxCq                profile: CQs (default 64K)
 * @param maxMpt               profile: memory protection table entries (default 128K)
 * @param maxMtt               profile: memory translation table entries (default 1M)
 * @param maxMcg               profile: multicast groups (default 8K)
 */
public record HcaConfig(String name, HcaModel model, int ports, long onCardMemoryBytes, int logMaxOutstanding,
        long classANanos, long classBNanos, long classCNanos, long nodeGuid, List<Integer> portLids, Mtu mtu, int maxQp,
        int maxCq, int maxMpt, int maxMtt, int maxMcg) {

    public static final long DEFAULT_ON_CARD_MEMORY = 128L << 20;
    public static final int DEFAULT_LOG_MAX_OUTSTANDING = 4;
    public static final long DEFAULT_CLASS_A_NANOS = 10_000;
    public static final long DEFAULT_CLASS_B_NANOS = 100_000;
    public static final long DEFAULT_CLASS_C_NANOS = 1_000_000;

    /**
     * Validates every field.
     *
     * @throws IllegalArgumentException naming the field and the accepted range
     */
    public HcaConfig {
        if (name == null || !name.matches("[A-Za-z0-9_.-]{1,32}")) {
            throw new IllegalArgumentException("name must be 1..32 letters, digits, '_', '.', '-', was '" + name + "'");
        }
        if (model == null) {
            throw new IllegalArgumentException("model is required");
        }
        if (ports < 1 || ports > 2) {
            throw new IllegalArgumentException("ports must be 1 or 2, was " + ports);
        }
        if (onCardMemoryBytes < (1L << 20) || onCardMemoryBytes > (4L << 30)) {
            throw new IllegalArgumentException("onCardMemoryBytes must be 1 MiB..4 GiB, was " + onCardMemoryBytes);
        }
        if (logMaxOutstanding < 0 || logMaxOutstanding > 8) {
            throw new IllegalArgumentException("logMaxOutstanding must be 0..8, was " + logMaxOutstanding);
        }
        for (long l : new long[] {classANanos, classBNanos, classCNanos}) {
            if (l < 0 || l > 10_000_000_000L) {
                throw new IllegalArgumentException("command latencies must be 0..10 s in ns, was " + l);
            }
        }
        if (portLids == null || portLids.size() != ports) {
            throw new IllegalArgumentException("portLids needs one LID per port (" + ports + "), was " + portLids);
        }
        for (int lid : portLids) {
            if (lid < 0 || lid >= 0xC000) {
                throw new IllegalArgumentException("port LIDs must be 0 (unassigned) or 1..0xBFFF, was " + lid);
            }
        }
        if (mtu == null) {
            throw new IllegalArgumentException("mtu is required");
        }
        checkPow2("maxQp", maxQp, 64, 1 << 24);
        checkPow2("maxCq", maxCq, 64, 1 << 24);
        checkPow2("maxMpt", maxMpt, 64, 1 << 24);
        checkPow2("maxMtt", maxMtt, 64, 1 << 26);
        checkPow2("maxMcg", maxMcg, 8, 1 << 16);
        portLids = List.copyOf(portLids);
    }

    private static void checkPow2(String what, int value, int min, int max) {
        if (value < min || value > max || Integer.bitCount(value) != 1) {
            throw new IllegalArgumentException(what + " must be a power of two in " + min + ".." + max + ", was " + value);
        }
    }

    /** The default profile (64K QPs, 64K CQs, 128K MPTs, 1M MTTs, 8K multicast groups). */
    public static HcaConfig defaults(String name, HcaModel model, long nodeGuid, List<Integer> portLids) {
        return new HcaConfig(name, model, portLids.size(), DEFAULT_ON_CARD_MEMORY, DEFAULT_LOG_MAX_OUTSTANDING,
                DEFAULT_CLASS_A_NANOS, DEFAULT_CLASS_B_NANOS, DEFAULT_CLASS_C_NANOS, nodeGuid, portLids, Mtu.MTU_2048,
                1 << 16, 1 << 16, 1 << 17, 1 << 20, 1 << 13);
    }

    /** Commands the HCR accepts at once. */
    public int maxOutstanding() {
        return 1 << logMaxOutstanding;
    }

    public long portGuid(int port) {
        return nodeGuid + port;
    }
}
