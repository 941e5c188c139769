package org.irpverbs.hca.core.internal;

import org.irpverbs.irp.SpinLock;

/**
 * The MTT allocator: contiguous segments of translation entries in power-of-two sizes, as
 * mthca_buddy. A region of n pages takes the smallest block of 2^order &gt;= n entries; freeing a
 * block merges it with its free buddy. One bitmap per order, a free count per order to skip empty
 * ones.
 *
 * <p>Thread-safe: a {@link SpinLock} held for the bitmap updates only (never across a command), so
 * it may be used at DISPATCH.
 */
final class BuddyAllocator {
    private final int maxOrder;
    private final long[][] free;
    private final int[] freeCount;
    private final SpinLock lock = new SpinLock();
    private int entriesInUse;
    private final int size;

    /** @param entries the table size, a power of two */
    BuddyAllocator(int entries) {
        if (entries < 1 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("MTT table size must be a power of two, was " + entries);
        }
        this.size = entries;
        this.maxOrder = Integer.numberOfTrailingZeros(entries);
        this.free = new long[maxOrder + 1][];
        this.freeCount = new int[maxOrder + 1];
        for (int o = 0; o <= maxOrder; o++) {
            int blocks = 1 << (maxOrder - o);
            free[o] = new long[(blocks + 63) >>> 6];
        }
        // one free block of the whole table
        free[maxOrder][0] = 1L;
        freeCount[maxOrder] = 1;
    }

    /** The order of the block that holds {@code count} entries. */
    static int orderFor(int count) {
        if (count <= 1) {
            return 0;
        }
        return 32 - Integer.numberOfLeadingZeros(count - 1);
    }

    /** The first entry of a free block of 2^order entries, or -1 if none is left. */
    int allocate(int order) {
        if (order < 0 || order > maxOrder) {
            return -1;
        }
        lock.lock();
        try {
            int o = order;
            while (o <= maxOrder && freeCount[o] == 0) {
                o++;
            }
            if (o > maxOrder) {
                return -1;
            }
            int block = firstSet(free[o]);
            clear(o, block);
            // split down to the order asked for; each split frees the upper buddy
            while (o > order) {
                o--;
                block <<= 1;
                set(o, block + 1);
            }
            entriesInUse += 1 << order;
            return block << order;
        } finally {
            lock.unlock();
        }
    }

    /** Frees the block of 2^order entries starting at {@code first}, merging buddies. */
    void free(int first, int order) {
        lock.lock();
        try {
            int block = first >>> order;
            int o = order;
            while (o < maxOrder && isSet(o, block ^ 1)) {
                clear(o, block ^ 1);
                block >>>= 1;
                o++;
            }
            set(o, block);
            entriesInUse -= 1 << order;
        } finally {
            lock.unlock();
        }
    }

    int inUse() {
        lock.lock();
        try {
            return entriesInUse;
        } finally {
            lock.unlock();
        }
    }

    int capacity() {
        return size;
    }

    int maxOrder() {
        return maxOrder;
    }

    private static int firstSet(long[] bits) {
        for (int i = 0; i < bits.length; i++) {
            if (bits[i] != 0) {
                return (i << 6) + Long.numberOfTrailingZeros(bits[i]);
            }
        }
        throw new IllegalStateException("free count and bitmap disagree");
    }

    private boolean isSet(int order, int block) {
        return (free[order][block >>> 6] & 1L << (block & 63)) != 0;
    }

    private void set(int order, int block) {
        free[order][block >>> 6] |= 1L << (block & 63);
        freeCount[order]++;
    }

    private void clear(int order, int block) {
        free[order][block >>> 6] &= ~(1L << (block & 63));
        freeCount[order]--;
    }
}
