package org.irpverbs.sample.echo.driver;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts per status code, safely at DISPATCH: a fixed table of {@value #SLOTS} slots allocated up
 * front, claimed by compare-and-set the first time a status is seen (linear probing), so counting
 * is one or a few atomic operations and never allocates, boxes or takes a monitor. Statuses beyond
 * the table's capacity are counted together as {@link #otherStatuses()}; a forwarded echo request
 * ends in far fewer distinct statuses than that.
 *
 * <p>Why not a map: a {@code ConcurrentHashMap} takes a bin monitor when two threads insert into
 * the same bin, and a copy-on-write map of boxed keys made the first completion of every status
 * allocate a {@code HashMap} and box an {@code Integer} at DISPATCH. In a fresh bundle revision
 * that is also the first use of those JDK classes by the bundle's class loader, an up-call that
 * waits on the platform loader's per-name lock when two completion threads get there at once
 * (FreshRevisionClassLoadingTest). Everything this class uses at DISPATCH is resolved by its
 * constructor.
 *
 * <p>Thread-safe and lock-free.
 */
final class StatusCounters {
    static final int SLOTS = 32;
    /** A slot's key: 0 while free, else {@code CLAIMED | (status & 0xFFFFFFFF)}. */
    private static final long CLAIMED = 1L << 32;
    private static final long STATUS_BITS = 0xFFFF_FFFFL;

    private final AtomicLongArray keys = new AtomicLongArray(SLOTS);
    private final AtomicLongArray counts = new AtomicLongArray(SLOTS);
    private final AtomicLong other = new AtomicLong();

    void increment(int status) {
        int slot = slotOf(status, true);
        if (slot < 0) {
            other.incrementAndGet();
        } else {
            counts.incrementAndGet(slot);
        }
    }

    long get(int status) {
        int slot = slotOf(status, false);
        return slot < 0 ? 0 : counts.get(slot);
    }

    /** Completions whose status found the table full. */
    long otherStatuses() {
        return other.get();
    }

    /** The counts by status, successes first (NTSTATUS errors are negative as ints, so unsigned order). */
    Map<Integer, Long> snapshot() {
        Map<Integer, Long> copy = new TreeMap<>(Integer::compareUnsigned);
        for (int i = 0; i < SLOTS; i++) {
            long key = keys.get(i);
            if (key != 0) {
                copy.put((int) (key & STATUS_BITS), counts.get(i));
            }
        }
        return copy;
    }

    /**
     * The slot of {@code status}, claiming a free one if {@code claim}; -1 if it has none (not seen
     * yet, or the table is full). Slots are never released, so a key once seen stays put.
     */
    private int slotOf(int status, boolean claim) {
        long key = CLAIMED | (status & STATUS_BITS);
        int start = (status * 0x9E3779B9) >>> 27; // Fibonacci hashing: the top 5 bits, 0..31 = SLOTS - 1
        for (int probe = 0; probe < SLOTS; probe++) {
            int slot = (start + probe) & (SLOTS - 1);
            long current = keys.get(slot);
            if (current == key) {
                return slot;
            }
            if (current == 0) {
                if (!claim) {
                    return -1;
                }
                if (keys.compareAndSet(slot, 0, key)) {
                    return slot;
                }
                if (keys.get(slot) == key) {
                    return slot; // another thread claimed it for the same status
                }
            }
        }
        return -1;
    }
}
