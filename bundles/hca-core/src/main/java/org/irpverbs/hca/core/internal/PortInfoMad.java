package org.irpverbs.hca.core.internal;

import java.nio.ByteBuffer;
import org.irpverbs.verbs.Mtu;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.PortState;

/**
 * QUERY_PORT the way mthca_query_port does it: a LID-routed SubnGet(PortInfo) SMP handed to the
 * port's management agent with MAD_IFC, and the fields read from the GetResp at the offsets of IBA
 * 1.2 section 14.2.5.6 (PortInfo) inside the SMP data (which starts at byte 64 of the 256-byte MAD).
 *
 * <p>Thread-safe: static methods on caller-owned buffers.
 */
final class PortInfoMad {
    static final int MAD_SIZE = 256;
    static final int BASE_VERSION = 1;
    static final int MGMT_CLASS_SUBN_LID_ROUTED = 0x01;
    static final int CLASS_VERSION = 1;
    static final int METHOD_GET = 0x01;
    static final int METHOD_GET_RESP = 0x81;
    static final int ATTR_PORT_INFO = 0x0015;
    /** Where the SMP's 64 data bytes start. */
    static final int SMP_DATA = 64;
    /** The default P_Key: full membership of the default partition. */
    static final int DEFAULT_PKEY = 0xFFFF;

    private PortInfoMad() {}

    /** SubnGet(PortInfo) for {@code port}, transaction ID {@code tid}. */
    static byte[] request(int port, long tid) {
        ByteBuffer mad = ByteBuffer.allocate(MAD_SIZE);
        mad.put(0, (byte) BASE_VERSION);
        mad.put(1, (byte) MGMT_CLASS_SUBN_LID_ROUTED);
        mad.put(2, (byte) CLASS_VERSION);
        mad.put(3, (byte) METHOD_GET);
        mad.putLong(8, tid);
        mad.putShort(16, (short) ATTR_PORT_INFO);
        mad.putInt(20, port);
        return mad.array();
    }

    /**
     * Reads a GetResp(PortInfo).
     *
     * @return the reason it is not a good answer, or null
     */
    static String problem(byte[] response) {
        if (response == null || response.length < MAD_SIZE) {
            return "the management agent gave no PortInfo response";
        }
        ByteBuffer mad = ByteBuffer.wrap(response);
        if ((mad.get(3) & 0xFF) != METHOD_GET_RESP || (mad.getShort(16) & 0xFFFF) != ATTR_PORT_INFO) {
            return String.format("the management agent answered method 0x%02X attribute 0x%04X, not GetResp(PortInfo)",
                    mad.get(3) & 0xFF, mad.getShort(16) & 0xFFFF);
        }
        int status = mad.getShort(4) & 0xFFFF;
        if (status != 0) {
            return String.format("the management agent answered with MAD status 0x%04X", status);
        }
        return null;
    }

    /** The port's attributes from a good GetResp(PortInfo); the port GUID comes from the node GUID. */
    static PortAttributes attributes(int port, byte[] response, long portGuid) {
        ByteBuffer mad = ByteBuffer.wrap(response);
        int d = SMP_DATA;
        long gidPrefix = mad.getLong(d + 8);
        int lid = mad.getShort(d + 16) & 0xFFFF;
        int smLid = mad.getShort(d + 18) & 0xFFFF;
        int portState = mad.get(d + 32) & 0x0F;
        int activeMtu = (mad.get(d + 36) >> 4) & 0x0F;
        int maxMtu = mad.get(d + 41) & 0x0F;
        int capabilityMask = mad.getInt(d + 20);
        int physicalState = (mad.get(d + 33) >> 4) & 0x0F;
        int width = width(mad.get(d + 31) & 0xFF);
        double speed = speed((mad.get(d + 35) >> 4) & 0x0F);
        return new PortAttributes(port, state(portState), mtu(maxMtu), mtu(activeMtu), lid, smLid, portGuid, gidPrefix,
                new int[] {DEFAULT_PKEY}, physicalState, width, speed, capabilityMask);
    }

    /** LinkWidthActive (IBA 14.2.5.6): 1 = 1X, 2 = 4X, 4 = 8X, 8 = 12X; the lane count. */
    static int width(int code) {
        return switch (code) {
            case 1 -> 1;
            case 2 -> 4;
            case 4 -> 8;
            case 8 -> 12;
            default -> 0;
        };
    }

    /** LinkSpeedActive: 1 = 2.5, 2 = 5.0, 4 = 10.0 Gb/s per lane. */
    static double speed(int code) {
        return switch (code) {
            case 1 -> 2.5;
            case 2 -> 5.0;
            case 4 -> 10.0;
            default -> 0;
        };
    }

    /** IBA PortState: 1 Down, 2 Initialize, 3 Armed, 4 Active. */
    static PortState state(int code) {
        return switch (code) {
            case 2 -> PortState.INIT;
            case 3 -> PortState.ARMED;
            case 4 -> PortState.ACTIVE;
            default -> PortState.DOWN;
        };
    }

    /** The MTU encoding 1..5; anything else (0 before the link is up) reads as 256. */
    static Mtu mtu(int code) {
        for (Mtu m : Mtu.values()) {
            if (m.code() == code) {
                return m;
            }
        }
        return Mtu.MTU_256;
    }
}
