package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;

/**
 * Immediate Data (IBA 9.3.4), 4 bytes carried by the *_WITH_IMMEDIATE opcodes and delivered to the
 * responder's receive completion as it was sent (network order on the wire).
 *
 * <p>Thread-safe: immutable.
 *
 * @param value the 32 bits of immediate data
 */
public record ImmDt(int value) {
    public static final int BYTES = 4;

    public void write(ByteBuffer b, int off) {
        b.putInt(off, value);
    }

    public static void write(ByteBuffer b, int off, int value) {
        b.putInt(off, value);
    }

    public static ImmDt read(ByteBuffer b, int off) {
        return new ImmDt(value(b, off));
    }

    public static int value(ByteBuffer b, int off) {
        return b.getInt(off);
    }
}
