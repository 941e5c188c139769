package org.irpverbs.hca.core.internal;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A fixed-size table of numbers (PDs, QPNs, CQNs, MPT indices, multicast groups, AHs), as
 * mthca_alloc: a bitmap sized by the INIT_HCA profile, so a full table fails creation with
 * INSUFFICIENT_RESOURCES. Allocation continues after the last number handed out (round robin)
 * instead of reusing the one just freed, so a stale handle or key is unlikely to name a new object.
 *
 * <p>Thread-safe and lock-free: a compare-and-set per bit, usable at DISPATCH.
 */
final class IndexAllocator {
    private final String name;
    private final int size;
    private final int reserved;
    private final AtomicLongArray words;
    private final AtomicInteger used = new AtomicInteger();
    /** The number to start the next search at: the one after the last handed out. */
    private volatile int next;

    /**
     * @param name     for messages, e.g. "QP"
     * @param size     numbers 0..size-1
     * @param reserved the lowest numbers the firmware keeps for itself (never handed out)
     */
    IndexAllocator(String name, int size, int reserved) {
        if (size < 1 || reserved < 0 || reserved >= size) {
            throw new IllegalArgumentException(name + " table: size " + size + ", reserved " + reserved);
        }
        this.name = name;
        this.size = size;
        this.reserved = reserved;
        this.words = new AtomicLongArray((size + 63) >>> 6);
        this.next = reserved;
        for (int i = 0; i < reserved; i++) {
            long bit = 1L << (i & 63);
            words.getAndUpdate(i >>> 6, w -> w | bit);
        }
    }

    /** A free number, or -1 if the table is full. */
    int allocate() {
        int count = words.length();
        int start = next;
        int startWord = start >>> 6;
        long above = -1L << (start & 63);
        // the start word's bits from the start on, every other word, then the start word's bits below it
        for (int n = 0; n <= count; n++) {
            int i = (startWord + n) % count;
            long mask = n == 0 ? above : n == count ? ~above : -1L;
            long w = words.get(i);
            long free = ~w & mask;
            while (free != 0) {
                int bit = Long.numberOfTrailingZeros(free);
                int index = (i << 6) + bit;
                if (index >= size) {
                    break;
                }
                if (words.compareAndSet(i, w, w | 1L << bit)) {
                    used.incrementAndGet();
                    next = index + 1 == size ? reserved : index + 1;
                    return index;
                }
                w = words.get(i);
                free = ~w & mask;
            }
        }
        return -1;
    }

    /**
     * Gives a number back.
     *
     * @throws IllegalStateException if it was not allocated (a driver bug)
     */
    void free(int index) {
        if (index < reserved || index >= size) {
            throw new IllegalStateException(name + " " + index + " is not a number this table hands out");
        }
        long bit = 1L << (index & 63);
        long before = words.getAndUpdate(index >>> 6, w -> w & ~bit);
        if ((before & bit) == 0) {
            throw new IllegalStateException(name + " " + index + " freed twice");
        }
        used.decrementAndGet();
    }

    boolean isAllocated(int index) {
        return index >= 0 && index < size && (words.get(index >>> 6) & 1L << (index & 63)) != 0;
    }

    /** Numbers handed out now (the reserved ones not counted). */
    int inUse() {
        return used.get();
    }

    /** Numbers that can be handed out. */
    int capacity() {
        return size - reserved;
    }

    int size() {
        return size;
    }

    String name() {
        return name;
    }
}
