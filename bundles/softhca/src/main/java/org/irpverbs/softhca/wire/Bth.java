package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;

/**
 * Base Transport Header (IBA 9.2), 12 bytes, first header of the transport part (and the first
 * header after UDP in RoCEv2):
 * <pre>
 *  byte 0: OpCode               byte 1: SE(1) | M(1) | PadCnt(2) | TVer(4)
 *  bytes 2-3: P_Key             byte 4: reserved (Resv8a, variant: masked in the ICRC)
 *  bytes 5-7: DestQP            byte 8: AckReq(1) | reserved(7)
 *  bytes 9-11: PSN
 * </pre>
 *
 * <p>Thread-safe: immutable.
 *
 * @param opcode           the 8-bit opcode ({@link OpCode#code()})
 * @param solicitedEvent   SE: the responder should raise a solicited completion event
 * @param migReq           M: path migration state (always 1 = migrated here: APM is not modelled)
 * @param padCount         PadCnt: bytes (0..3) added after the payload to align it to 4 bytes
 * @param transportVersion TVer, 0
 * @param pkey             the partition key (16 bits)
 * @param destQp           destination QP number (24 bits)
 * @param ackRequest       AckReq: the requester asks for an acknowledgement of this packet
 * @param psn              packet sequence number (24 bits)
 */
public record Bth(int opcode, boolean solicitedEvent, boolean migReq, int padCount, int transportVersion, int pkey,
        int destQp, boolean ackRequest, int psn) {
    public static final int BYTES = 12;
    /** PSNs are 24-bit and wrap. */
    public static final int PSN_MASK = 0xFFFFFF;
    /** The DestQP of multicast packets. */
    public static final int MULTICAST_QPN = 0xFFFFFF;

    /**
     * @throws IllegalArgumentException naming the field out of range
     */
    public Bth {
        WireChecks.range("OpCode", opcode, 0xFF);
        WireChecks.range("PadCnt", padCount, 3);
        WireChecks.range("TVer", transportVersion, 15);
        WireChecks.range("P_Key", pkey, 0xFFFF);
        WireChecks.range("DestQP", destQp, 0xFFFFFF);
        WireChecks.range("PSN", psn, PSN_MASK);
    }

    public void write(ByteBuffer b, int off) {
        write(b, off, opcode, solicitedEvent, migReq, padCount, transportVersion, pkey, destQp, ackRequest, psn);
    }

    /** Writes a BTH (Resv8a zero) without moving the buffer's position. */
    public static void write(ByteBuffer b, int off, int opcode, boolean se, boolean migReq, int padCount, int tver,
            int pkey, int destQp, boolean ackReq, int psn) {
        b.put(off, (byte) opcode);
        b.put(off + 1, (byte) ((se ? 0x80 : 0) | (migReq ? 0x40 : 0) | ((padCount & 3) << 4) | (tver & 0xF)));
        b.putShort(off + 2, (short) pkey);
        b.putInt(off + 4, destQp & 0xFFFFFF);
        b.putInt(off + 8, (ackReq ? 0x80000000 : 0) | (psn & PSN_MASK));
    }

    public static Bth read(ByteBuffer b, int off) {
        return new Bth(opcode(b, off), solicitedEvent(b, off), migReq(b, off), padCount(b, off),
                transportVersion(b, off), pkey(b, off), destQp(b, off), ackRequest(b, off), psn(b, off));
    }

    public static int opcode(ByteBuffer b, int off) {
        return b.get(off) & 0xFF;
    }

    public static boolean solicitedEvent(ByteBuffer b, int off) {
        return (b.get(off + 1) & 0x80) != 0;
    }

    public static boolean migReq(ByteBuffer b, int off) {
        return (b.get(off + 1) & 0x40) != 0;
    }

    public static int padCount(ByteBuffer b, int off) {
        return (b.get(off + 1) >> 4) & 3;
    }

    public static void setPadCount(ByteBuffer b, int off, int pad) {
        b.put(off + 1, (byte) ((b.get(off + 1) & ~0x30) | ((pad & 3) << 4)));
    }

    public static int transportVersion(ByteBuffer b, int off) {
        return b.get(off + 1) & 0xF;
    }

    public static int pkey(ByteBuffer b, int off) {
        return b.getShort(off + 2) & 0xFFFF;
    }

    public static int destQp(ByteBuffer b, int off) {
        return b.getInt(off + 4) & 0xFFFFFF;
    }

    public static boolean ackRequest(ByteBuffer b, int off) {
        return (b.get(off + 8) & 0x80) != 0;
    }

    public static int psn(ByteBuffer b, int off) {
        return b.getInt(off + 8) & PSN_MASK;
    }

    /**
     * {@code a - b} in 24-bit serial arithmetic: negative if {@code a} comes before {@code b},
     * within half the PSN space either way (IBA 9.7.1).
     */
    public static int psnDiff(int a, int b) {
        return ((a - b) << 8) >> 8;
    }

    /** {@code psn + n} modulo 2^24. */
    public static int psnAdd(int psn, int n) {
        return (psn + n) & PSN_MASK;
    }
}
