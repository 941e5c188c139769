package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;

/**
 * Datagram Extended Transport Header (IBA 9.3.2), 8 bytes: Q_Key(32) | reserved(8) | SrcQP(24).
 * Carried by every UD packet; the receiver drops a packet whose Q_Key differs from its QP's.
 *
 * <p>Thread-safe: immutable.
 *
 * @param qkey  the queue key
 * @param srcQp the sending QP (24 bits)
 */
public record Deth(int qkey, int srcQp) {
    public static final int BYTES = 8;

    /**
     * @throws IllegalArgumentException if {@code srcQp} does not fit 24 bits
     */
    public Deth {
        WireChecks.range("SrcQP", srcQp, 0xFFFFFF);
    }

    public void write(ByteBuffer b, int off) {
        write(b, off, qkey, srcQp);
    }

    public static void write(ByteBuffer b, int off, int qkey, int srcQp) {
        b.putInt(off, qkey);
        b.putInt(off + 4, srcQp & 0xFFFFFF);
    }

    public static Deth read(ByteBuffer b, int off) {
        return new Deth(qkey(b, off), srcQp(b, off));
    }

    public static int qkey(ByteBuffer b, int off) {
        return b.getInt(off);
    }

    public static int srcQp(ByteBuffer b, int off) {
        return b.getInt(off + 4) & 0xFFFFFF;
    }
}
