package org.irpverbs.softhca.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A valid memory protection table entry (after SW2HW_MPT): the region's key (index in the high 24
 * bits, a tag in the low 8), PD, virtual range, rights, MTT segment, and the host memory the
 * virtual range translates to. The translation itself is simplified: the MTT entries are tracked
 * (WRITE_MTT) but the data path maps {@code start + i} to byte {@code i} of {@link #memory} rather
 * than walking page addresses (Java has no physical addresses to walk).
 *
 * <p>Immutable; thread-safe. {@link #memory} is a private duplicate (big-endian, limit = capacity)
 * used only with absolute gets and puts.
 */
final class Mpt {
    final int index;
    final int key;
    final int pd;
    final long start;
    final long length;
    final int access;
    final int mttBase;
    final int mttCount;
    final ByteBuffer memory;

    Mpt(int index, int key, int pd, long start, long length, int access, int mttBase, int mttCount, ByteBuffer memory) {
        this.index = index;
        this.key = key;
        this.pd = pd;
        this.start = start;
        this.length = length;
        this.access = access;
        this.mttBase = mttBase;
        this.mttCount = mttCount;
        ByteBuffer m = memory.duplicate();
        m.clear();
        this.memory = m.order(ByteOrder.BIG_ENDIAN);
    }

    /** True if {@code [va, va + len)} lies inside the region (overflow-safe). */
    boolean contains(long va, long len) {
        return len >= 0 && va >= start && va - start <= length - len;
    }

    /** Byte offset of {@code va} in {@link #memory}. */
    int offset(long va) {
        return (int) (va - start);
    }
}
