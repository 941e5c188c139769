package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;

/**
 * Atomic Extended Transport Header (IBA 9.3.5), 28 bytes:
 * VA(64) | R_Key(32) | Swap (or Add) Data(64) | Compare Data(64). Carried by COMPARE SWAP and FETCH
 * ADD; the VA must be 8-byte aligned.
 *
 * <p>Thread-safe: immutable.
 *
 * @param virtualAddress the remote 8-byte-aligned address
 * @param rkey           the remote key
 * @param swapOrAdd      the value swapped in (COMPARE SWAP) or added (FETCH ADD)
 * @param compare        the value compared (COMPARE SWAP; ignored by FETCH ADD)
 */
public record AtomicEth(long virtualAddress, int rkey, long swapOrAdd, long compare) {
    public static final int BYTES = 28;

    public void write(ByteBuffer b, int off) {
        write(b, off, virtualAddress, rkey, swapOrAdd, compare);
    }

    public static void write(ByteBuffer b, int off, long va, int rkey, long swapOrAdd, long compare) {
        b.putLong(off, va);
        b.putInt(off + 8, rkey);
        b.putLong(off + 12, swapOrAdd);
        b.putLong(off + 20, compare);
    }

    public static AtomicEth read(ByteBuffer b, int off) {
        return new AtomicEth(virtualAddress(b, off), rkey(b, off), swapOrAdd(b, off), compare(b, off));
    }

    public static long virtualAddress(ByteBuffer b, int off) {
        return b.getLong(off);
    }

    public static int rkey(ByteBuffer b, int off) {
        return b.getInt(off + 8);
    }

    public static long swapOrAdd(ByteBuffer b, int off) {
        return b.getLong(off + 12);
    }

    public static long compare(ByteBuffer b, int off) {
        return b.getLong(off + 20);
    }
}
