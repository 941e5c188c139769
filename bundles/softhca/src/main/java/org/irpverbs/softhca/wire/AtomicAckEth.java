package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;

/**
 * Atomic Acknowledge Extended Transport Header (IBA 9.5.3), 8 bytes: the original remote data the
 * atomic operation found, returned to the requester.
 *
 * <p>Thread-safe: immutable.
 *
 * @param originalData the value at the remote address before the operation
 */
public record AtomicAckEth(long originalData) {
    public static final int BYTES = 8;

    public void write(ByteBuffer b, int off) {
        b.putLong(off, originalData);
    }

    public static void write(ByteBuffer b, int off, long originalData) {
        b.putLong(off, originalData);
    }

    public static AtomicAckEth read(ByteBuffer b, int off) {
        return new AtomicAckEth(originalData(b, off));
    }

    public static long originalData(ByteBuffer b, int off) {
        return b.getLong(off);
    }
}
