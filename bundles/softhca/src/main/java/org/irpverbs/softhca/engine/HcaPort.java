package org.irpverbs.softhca.engine;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.irpverbs.softhca.fabric.FabricPort;
import org.irpverbs.verbs.Mtu;

/**
 * One physical port of a soft HCA: its fabric attachment while INIT_IB has it up, its LID and MTU,
 * its P_Key table and violation counters.
 *
 * <p>Thread-safe: the engine thread brings the port up and down; the P_Key table and counters are
 * atomic because the data path, MAD queries and tests read or set them from other threads.
 */
final class HcaPort {
    /** P_Key table entries per port (mthca: 64). */
    static final int PKEY_TABLE_SIZE = 64;
    static final int DEFAULT_PKEY = 0xFFFF;

    final int number;
    final AtomicIntegerArray pkeys = new AtomicIntegerArray(PKEY_TABLE_SIZE);
    final AtomicLong pkeyViolations = new AtomicLong();
    final AtomicLong qkeyViolations = new AtomicLong();
    volatile FabricPort fabricPort;
    volatile Mtu mtu;
    volatile int lid;

    HcaPort(int number, Mtu mtu, int lid) {
        this.number = number;
        this.mtu = mtu;
        this.lid = lid;
        pkeys.set(0, DEFAULT_PKEY);
    }

    boolean isUp() {
        FabricPort p = fabricPort;
        // attached to the fabric and its link up: a cable pulled makes PortInfo say Down, as the
        // PORT_DOWN event did
        return p != null && p.isAttached() && p.isLinkUp();
    }

    /**
     * IBA 10.9.3 P_Key match: the low 15 bits equal and at least one side a full member (bit 15);
     * the invalid P_Keys 0x0000 and 0x8000 never match.
     */
    static boolean pkeyMatches(int a, int b) {
        if ((a & 0x7FFF) == 0 || (b & 0x7FFF) == 0) {
            return false;
        }
        return (a & 0x7FFF) == (b & 0x7FFF) && ((a | b) & 0x8000) != 0;
    }
}
