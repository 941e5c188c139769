package org.irpverbs.verbs;

/**
 * Up to {@link #MAX} scatter/gather entries (virtual address, length, lkey), kept in arrays so
 * that a work request can be reused without allocating.
 *
 * <p>Not thread-safe: owned by whoever fills the work request.
 */
public final class ScatterGatherList {
    /** Entries per work request this API carries (the HCA may allow fewer: CaAttributes.maxSge). */
    public static final int MAX = 16;

    private final long[] addresses = new long[MAX];
    private final int[] lengths = new int[MAX];
    private final int[] lkeys = new int[MAX];
    private int count;

    /** Empties the list. */
    public ScatterGatherList clear() {
        count = 0;
        return this;
    }

    /**
     * Appends an entry.
     *
     * @throws IllegalStateException if {@value #MAX} entries are already there
     * @throws IllegalArgumentException for a negative length
     */
    public ScatterGatherList add(long address, int length, int lkey) {
        if (count == MAX) {
            throw new IllegalStateException("at most " + MAX + " scatter/gather entries");
        }
        if (length < 0) {
            throw new IllegalArgumentException("negative SGE length " + length);
        }
        addresses[count] = address;
        lengths[count] = length;
        lkeys[count] = lkey;
        count++;
        return this;
    }

    public int count() {
        return count;
    }

    public long address(int i) {
        check(i);
        return addresses[i];
    }

    public int length(int i) {
        check(i);
        return lengths[i];
    }

    public int lkey(int i) {
        check(i);
        return lkeys[i];
    }

    /** Sum of the entries' lengths. */
    public long totalLength() {
        long total = 0;
        for (int i = 0; i < count; i++) {
            total += lengths[i];
        }
        return total;
    }

    public void copyFrom(ScatterGatherList other) {
        System.arraycopy(other.addresses, 0, addresses, 0, other.count);
        System.arraycopy(other.lengths, 0, lengths, 0, other.count);
        System.arraycopy(other.lkeys, 0, lkeys, 0, other.count);
        count = other.count;
    }

    private void check(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("SGE " + i + " of " + count);
        }
    }
}
