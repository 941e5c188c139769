package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;

/**
 * Local Route Header (IBA 7.7), 8 bytes, present in every packet on an IB link:
 * <pre>
 *  byte 0: VL(4) | LVer(4)        byte 1: SL(4) | reserved(2) | LNH(2)
 *  bytes 2-3: DLID                bytes 4-5: reserved(5) | PktLen(11)
 *  bytes 6-7: SLID
 * </pre>
 * {@code PktLen} counts 4-byte words from the first byte of the LRH to the last byte of the ICRC
 * (the VCRC excluded). RoCEv2 has no LRH: a UDP transport replaces it with IP/UDP headers, which is
 * why this header is kept apart from the transport part of a packet.
 *
 * <p>Thread-safe: immutable; the static methods touch only the caller's buffer.
 *
 * @param vl           virtual lane (0..15); VL15 carries subnet management
 * @param linkVersion  LVer, 0 for this version of IBA
 * @param sl           service level (0..15)
 * @param lnh          link next header: {@link #LNH_RAW}, {@link #LNH_IP}, {@link #LNH_IBA_LOCAL} or
 *                     {@link #LNH_IBA_GLOBAL}
 * @param dlid         destination LID (multicast LIDs are 0xC000..0xFFFE, 0xFFFF is permissive)
 * @param packetLength PktLen in 4-byte words (0..2047)
 * @param slid         source LID
 */
public record Lrh(int vl, int linkVersion, int sl, int lnh, int dlid, int packetLength, int slid) {
    public static final int BYTES = 8;
    /** Raw packet: no IBA transport follows (not used by the soft HCA). */
    public static final int LNH_RAW = 0;
    /** Raw IPv6 packet (not used by the soft HCA). */
    public static final int LNH_IP = 1;
    /** IBA transport, BTH follows. */
    public static final int LNH_IBA_LOCAL = 2;
    /** IBA transport with a GRH before the BTH. */
    public static final int LNH_IBA_GLOBAL = 3;
    /** VL15, the management virtual lane: subnet management packets (QP0) only (IBA 7.6.5). */
    public static final int VL_MANAGEMENT = 15;
    public static final int MULTICAST_LID_FIRST = 0xC000;
    public static final int MULTICAST_LID_LAST = 0xFFFE;
    public static final int PERMISSIVE_LID = 0xFFFF;

    /**
     * @throws IllegalArgumentException naming the field out of range
     */
    public Lrh {
        WireChecks.range("VL", vl, 15);
        WireChecks.range("LVer", linkVersion, 15);
        WireChecks.range("SL", sl, 15);
        WireChecks.range("LNH", lnh, 3);
        WireChecks.range("DLID", dlid, 0xFFFF);
        WireChecks.range("PktLen", packetLength, 0x7FF);
        WireChecks.range("SLID", slid, 0xFFFF);
    }

    /** True for a multicast LID (0xC000..0xFFFE). */
    public static boolean isMulticast(int lid) {
        return lid >= MULTICAST_LID_FIRST && lid <= MULTICAST_LID_LAST;
    }

    /** True for a unicast LID a port may own (1..0xBFFF). */
    public static boolean isUnicast(int lid) {
        return lid >= 1 && lid < MULTICAST_LID_FIRST;
    }

    public void write(ByteBuffer b, int off) {
        write(b, off, vl, linkVersion, sl, lnh, dlid, packetLength, slid);
    }

    /** Writes an LRH at {@code off} without moving the buffer's position. */
    public static void write(ByteBuffer b, int off, int vl, int lver, int sl, int lnh, int dlid, int pktLen, int slid) {
        b.put(off, (byte) ((vl << 4) | (lver & 0xF)));
        b.put(off + 1, (byte) ((sl << 4) | (lnh & 3)));
        b.putShort(off + 2, (short) dlid);
        b.putShort(off + 4, (short) (pktLen & 0x7FF));
        b.putShort(off + 6, (short) slid);
    }

    public static Lrh read(ByteBuffer b, int off) {
        return new Lrh(vl(b, off), linkVersion(b, off), sl(b, off), lnh(b, off), dlid(b, off), packetLength(b, off),
                slid(b, off));
    }

    public static int vl(ByteBuffer b, int off) {
        return (b.get(off) >> 4) & 0xF;
    }

    public static int linkVersion(ByteBuffer b, int off) {
        return b.get(off) & 0xF;
    }

    public static int sl(ByteBuffer b, int off) {
        return (b.get(off + 1) >> 4) & 0xF;
    }

    public static int lnh(ByteBuffer b, int off) {
        return b.get(off + 1) & 3;
    }

    public static int dlid(ByteBuffer b, int off) {
        return b.getShort(off + 2) & 0xFFFF;
    }

    public static int packetLength(ByteBuffer b, int off) {
        return b.getShort(off + 4) & 0x7FF;
    }

    public static void setPacketLength(ByteBuffer b, int off, int words) {
        b.putShort(off + 4, (short) (words & 0x7FF));
    }

    public static int slid(ByteBuffer b, int off) {
        return b.getShort(off + 6) & 0xFFFF;
    }
}
