package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;

/**
 * Global Route Header (IBA 8.3), 40 bytes, laid out as an IPv6 header:
 * <pre>
 *  IPVer(4) | TClass(8) | FlowLabel(20)
 *  PayLen(16) | NxtHdr(8) | HopLmt(8)
 *  SGID(128)
 *  DGID(128)
 * </pre>
 * Present when the LRH's LNH is {@link Lrh#LNH_IBA_GLOBAL}: for packets that leave the subnet and,
 * in the soft HCA, for UD multicast (the DGID names the group). {@code PayLen} counts the bytes
 * after the GRH up to and including the ICRC. A UD receive places these 40 bytes at the start of
 * the receive buffer.
 *
 * <p>Thread-safe: immutable.
 *
 * @param ipVersion     6
 * @param trafficClass  0..255
 * @param flowLabel     0..0xFFFFF
 * @param payloadLength PayLen (0..0xFFFF)
 * @param nextHeader    {@link #NEXT_HEADER_IBA} (0x1B) for IBA transport
 * @param hopLimit      0..255
 * @param sgid          source GID
 * @param dgid          destination GID
 */
public record Grh(int ipVersion, int trafficClass, int flowLabel, int payloadLength, int nextHeader, int hopLimit,
        Gid sgid, Gid dgid) {
    public static final int BYTES = 40;
    public static final int IP_VERSION = 6;
    /** NxtHdr value for an IBA transport header. */
    public static final int NEXT_HEADER_IBA = 0x1B;

    /**
     * @throws IllegalArgumentException naming the field out of range or missing
     */
    public Grh {
        WireChecks.range("IPVer", ipVersion, 15);
        WireChecks.range("TClass", trafficClass, 0xFF);
        WireChecks.range("FlowLabel", flowLabel, 0xFFFFF);
        WireChecks.range("PayLen", payloadLength, 0xFFFF);
        WireChecks.range("NxtHdr", nextHeader, 0xFF);
        WireChecks.range("HopLmt", hopLimit, 0xFF);
        if (sgid == null || dgid == null) {
            throw new IllegalArgumentException("SGID and DGID are required");
        }
    }

    /** A GRH for an IBA packet from {@code sgid} to {@code dgid}; PayLen is filled when the packet is finished. */
    public static Grh of(Gid sgid, Gid dgid, int hopLimit) {
        return new Grh(IP_VERSION, 0, 0, 0, NEXT_HEADER_IBA, hopLimit, sgid, dgid);
    }

    public void write(ByteBuffer b, int off) {
        write(b, off, trafficClass, flowLabel, payloadLength, hopLimit, sgid.prefix(), sgid.interfaceId(),
                dgid.prefix(), dgid.interfaceId(), ipVersion, nextHeader);
    }

    /** Writes an IBA GRH (IPVer 6, NxtHdr 0x1B) without allocating. */
    public static void write(ByteBuffer b, int off, int trafficClass, int flowLabel, int payloadLength, int hopLimit,
            long sgidPrefix, long sgidInterface, long dgidPrefix, long dgidInterface) {
        write(b, off, trafficClass, flowLabel, payloadLength, hopLimit, sgidPrefix, sgidInterface, dgidPrefix,
                dgidInterface, IP_VERSION, NEXT_HEADER_IBA);
    }

    private static void write(ByteBuffer b, int off, int trafficClass, int flowLabel, int payloadLength, int hopLimit,
            long sgidPrefix, long sgidInterface, long dgidPrefix, long dgidInterface, int ipVersion, int nextHeader) {
        b.putInt(off, (ipVersion << 28) | ((trafficClass & 0xFF) << 20) | (flowLabel & 0xFFFFF));
        b.putShort(off + 4, (short) payloadLength);
        b.put(off + 6, (byte) nextHeader);
        b.put(off + 7, (byte) hopLimit);
        b.putLong(off + 8, sgidPrefix);
        b.putLong(off + 16, sgidInterface);
        b.putLong(off + 24, dgidPrefix);
        b.putLong(off + 32, dgidInterface);
    }

    public static Grh read(ByteBuffer b, int off) {
        int w = b.getInt(off);
        return new Grh(w >>> 28, (w >>> 20) & 0xFF, w & 0xFFFFF, payloadLength(b, off), nextHeader(b, off),
                b.get(off + 7) & 0xFF, Gid.read(b, off + 8), Gid.read(b, off + 24));
    }

    public static int ipVersion(ByteBuffer b, int off) {
        return (b.get(off) >> 4) & 0xF;
    }

    public static int payloadLength(ByteBuffer b, int off) {
        return b.getShort(off + 4) & 0xFFFF;
    }

    public static void setPayloadLength(ByteBuffer b, int off, int length) {
        b.putShort(off + 4, (short) length);
    }

    public static int nextHeader(ByteBuffer b, int off) {
        return b.get(off + 6) & 0xFF;
    }
}
