package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;

/**
 * RDMA Extended Transport Header (IBA 9.3.3), 16 bytes: VA(64) | R_Key(32) | DMA Length(32). Carried
 * by RDMA WRITE FIRST/ONLY and RDMA READ REQUEST; the length is that of the whole message.
 *
 * <p>Thread-safe: immutable.
 *
 * @param virtualAddress the remote virtual address
 * @param rkey           the remote key
 * @param dmaLength      bytes of the whole transfer (unsigned 32 bits; the soft HCA uses up to 2^31 - 1)
 */
public record Reth(long virtualAddress, int rkey, int dmaLength) {
    public static final int BYTES = 16;

    public void write(ByteBuffer b, int off) {
        write(b, off, virtualAddress, rkey, dmaLength);
    }

    public static void write(ByteBuffer b, int off, long va, int rkey, int dmaLength) {
        b.putLong(off, va);
        b.putInt(off + 8, rkey);
        b.putInt(off + 12, dmaLength);
    }

    public static Reth read(ByteBuffer b, int off) {
        return new Reth(virtualAddress(b, off), rkey(b, off), dmaLength(b, off));
    }

    public static long virtualAddress(ByteBuffer b, int off) {
        return b.getLong(off);
    }

    public static int rkey(ByteBuffer b, int off) {
        return b.getInt(off + 8);
    }

    public static int dmaLength(ByteBuffer b, int off) {
        return b.getInt(off + 12);
    }
}
