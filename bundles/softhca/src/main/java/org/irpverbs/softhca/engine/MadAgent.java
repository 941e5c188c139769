package org.irpverbs.softhca.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.wire.Gid;

/**
 * The port's subnet management agent as MAD_IFC reaches it: answers SubnGet of the attributes a
 * subnet manager reads when it sweeps a channel adapter (IBA 14.2.5) — NodeDescription, NodeInfo,
 * GUIDInfo, PortInfo and P_KeyTable —, LID-routed (class 0x01) or directed-route (class 0x81),
 * with the byte layouts of IBA 14.2.5 filled from the port's data. A SubnGet of another attribute
 * gets a GetResp with status "method/attribute combination not supported", and one whose
 * attribute modifier names no port or block a GetResp with "invalid attribute or modifier"
 * (IBA 13.4.7), so a subnet manager learns why instead of timing out. Other methods (Set, which
 * needs the SM's M_Key logic), other versions and other classes (GSI classes go to the driver's
 * QP1, not the SMA) return no response (output null, status OK), as MAD_IFC does for MADs the
 * firmware agent does not consume.
 *
 * <p>Thread-safe: stateless.
 */
final class MadAgent {
    static final int MAD_BYTES = 256;
    static final int CLASS_SUBN_LID_ROUTED = 0x01;
    static final int CLASS_SUBN_DIRECTED_ROUTE = 0x81;
    static final int METHOD_GET = 0x01;
    static final int METHOD_GET_RESP = 0x81;
    static final int ATTR_NODE_DESCRIPTION = 0x0010;
    static final int ATTR_NODE_INFO = 0x0011;
    static final int ATTR_GUID_INFO = 0x0014;
    static final int ATTR_PORT_INFO = 0x0015;
    static final int ATTR_PKEY_TABLE = 0x0016;
    static final int SMP_DATA = 64;
    /** MAD status (IBA 13.4.7, bits 2-4): the method/attribute combination is not supported. */
    static final int STATUS_UNSUPPORTED_ATTRIBUTE = 3 << 2;
    /** MAD status: a field of the attribute or the attribute modifier holds an invalid value. */
    static final int STATUS_INVALID_VALUE = 7 << 2;
    /** P_Keys per P_KeyTable block (IBA 14.2.5.7). */
    static final int PKEYS_PER_BLOCK = 32;

    private MadAgent() {}

    /** The response MAD, or null if the agent does not answer this one. */
    static byte[] process(HcaConfig config, DeviceState s, int port, byte[] request) {
        ByteBuffer in = ByteBuffer.wrap(request);
        int mgmtClass = in.get(1) & 0xFF;
        int method = in.get(3) & 0xFF;
        if (in.get(0) != 1 || method != METHOD_GET
                || (mgmtClass != CLASS_SUBN_LID_ROUTED && mgmtClass != CLASS_SUBN_DIRECTED_ROUTE)) {
            return null;
        }
        int attribute = in.getShort(16) & 0xFFFF;
        long modifier = in.getInt(20) & 0xFFFFFFFFL;
        byte[] response = request.clone();
        ByteBuffer out = ByteBuffer.wrap(response);
        int status = answer(config, s, port, attribute, modifier, out);
        out.put(3, (byte) METHOD_GET_RESP);
        // a directed-route response sets the D (direction) bit, bit 15 of the status field
        out.putShort(4, (short) (status | (mgmtClass == CLASS_SUBN_DIRECTED_ROUTE ? 0x8000 : 0)));
        return response;
    }

    /** Fills the SMP data with the attribute; returns the MAD status (0 if answered). */
    private static int answer(HcaConfig config, DeviceState s, int port, int attribute, long modifier, ByteBuffer out) {
        clearData(out);
        switch (attribute) {
            case ATTR_NODE_DESCRIPTION -> nodeDescription(config, out);
            case ATTR_NODE_INFO -> nodeInfo(config, port, out);
            case ATTR_GUID_INFO -> {
                if (modifier != 0) {
                    return STATUS_INVALID_VALUE; // one GUID per port (GUIDCap 1): block 0 only
                }
                out.putLong(SMP_DATA, config.portGuid(port));
            }
            case ATTR_PORT_INFO -> {
                HcaPort p = s.port(modifier == 0 ? port : (int) Math.min(modifier, Integer.MAX_VALUE));
                if (p == null) {
                    return STATUS_INVALID_VALUE;
                }
                portInfo(config, p, out);
            }
            case ATTR_PKEY_TABLE -> {
                HcaPort p = s.port(port);
                long block = modifier & 0xFFFF; // the upper 16 bits select a switch port; ignored by a CA
                if (p == null || block >= HcaPort.PKEY_TABLE_SIZE / PKEYS_PER_BLOCK) {
                    return STATUS_INVALID_VALUE;
                }
                for (int i = 0; i < PKEYS_PER_BLOCK; i++) {
                    out.putShort(SMP_DATA + 2 * i, (short) p.pkeys.get((int) block * PKEYS_PER_BLOCK + i));
                }
            }
            default -> {
                return STATUS_UNSUPPORTED_ATTRIBUTE;
            }
        }
        return 0;
    }

    private static void clearData(ByteBuffer b) {
        for (int i = 0; i < 64; i++) {
            b.put(SMP_DATA + i, (byte) 0);
        }
    }

    /** NodeDescription, 64 bytes of UTF-8, NUL-padded (IBA 14.2.5.2), like a Linux host's "hostname mlx4_0". */
    private static void nodeDescription(HcaConfig c, ByteBuffer b) {
        byte[] text = ("irpverbs " + c.name() + " " + c.model()).getBytes(StandardCharsets.UTF_8);
        b.put(SMP_DATA, text, 0, Math.min(text.length, 64));
    }

    /** NodeInfo, 40 bytes (IBA 14.2.5.3). */
    private static void nodeInfo(HcaConfig c, int port, ByteBuffer b) {
        int d = SMP_DATA;
        b.put(d, (byte) 1); // BaseVersion
        b.put(d + 1, (byte) 1); // ClassVersion
        b.put(d + 2, (byte) 1); // NodeType: channel adapter
        b.put(d + 3, (byte) c.ports());
        b.putLong(d + 4, c.nodeGuid()); // SystemImageGUID
        b.putLong(d + 12, c.nodeGuid());
        b.putLong(d + 20, c.portGuid(port));
        b.putShort(d + 28, (short) HcaPort.PKEY_TABLE_SIZE); // PartitionCap
        b.putShort(d + 30, (short) c.model().deviceId());
        b.putInt(d + 32, c.model() == HcaModel.MT23108 ? 0xA1 : 0xA0); // Revision
        b.put(d + 36, (byte) port); // LocalPortNum
        b.put(d + 37, (byte) (HcaModel.VENDOR_MELLANOX >>> 16));
        b.putShort(d + 38, (short) HcaModel.VENDOR_MELLANOX);
    }

    /**
     * PortInfo CapabilityMask: IsSystemImageGUIDSupported (bit 11, NodeInfo carries it) only; the
     * bits for the managers (SM, CM, device management) come when those are there.
     */
    static final int CAPABILITY_MASK = 1 << 11;

    /** PortInfo, 64 bytes (IBA 14.2.5.6). */
    private static void portInfo(HcaConfig c, HcaPort p, ByteBuffer b) {
        int d = SMP_DATA;
        boolean up = p.isUp();
        int portState = !up ? 1 : p.lid == 0 ? 2 : 4; // Down, Init (no LID yet), Active
        int physState = up ? 5 : 3; // LinkUp, Disabled
        b.putLong(d + 8, Gid.LINK_LOCAL_PREFIX); // GidPrefix
        b.putShort(d + 16, (short) p.lid);
        b.putShort(d + 18, (short) 0); // MasterSMLID
        b.putInt(d + 20, CAPABILITY_MASK);
        b.put(d + 28, (byte) p.number); // LocalPortNum
        b.put(d + 29, (byte) 0x03); // LinkWidthEnabled 1X|4X
        b.put(d + 30, (byte) 0x03); // LinkWidthSupported
        b.put(d + 31, (byte) 0x02); // LinkWidthActive 4X
        b.put(d + 32, (byte) ((1 << 4) | portState)); // LinkSpeedSupported 2.5 Gb/s | PortState
        b.put(d + 33, (byte) ((physState << 4) | 2)); // PortPhysicalState | LinkDownDefaultState polling
        b.put(d + 35, (byte) ((1 << 4) | 1)); // LinkSpeedActive | LinkSpeedEnabled
        b.put(d + 36, (byte) (p.mtu.code() << 4)); // NeighborMTU | MasterSMSL
        b.put(d + 37, (byte) (1 << 4)); // VLCap: VL0
        b.put(d + 41, (byte) c.mtu().code()); // InitTypeReply | MTUCap
        b.put(d + 43, (byte) (1 << 4)); // OperationalVLs: VL0
        b.putShort(d + 46, (short) Math.min(0xFFFF, p.pkeyViolations.get()));
        b.putShort(d + 48, (short) Math.min(0xFFFF, p.qkeyViolations.get()));
        b.put(d + 50, (byte) 1); // GUIDCap
        b.put(d + 51, (byte) 18); // SubnetTimeOut
        b.put(d + 52, (byte) 16); // RespTimeValue
    }
}
