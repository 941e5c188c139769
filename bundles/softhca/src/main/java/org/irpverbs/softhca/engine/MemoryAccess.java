package org.irpverbs.softhca.engine;

import java.nio.ByteBuffer;
import org.irpverbs.softhca.fabric.Frame;

/**
 * Every access the HCA makes to host memory goes through here, and every access is checked as
 * IBA 10.6 requires: the key names a valid MPT entry and its 8-bit tag matches, the region's PD is
 * the QP's PD, {@code [va, va + length)} lies inside the region, and the region grants the rights
 * the access needs (LOCAL_WRITE to write local memory; REMOTE_READ, REMOTE_WRITE or REMOTE_ATOMIC
 * for a remote peer's access). A failed check changes nothing. Copies use absolute bulk
 * {@link ByteBuffer} transfers (no per-byte loops, no position changes).
 *
 * <p>Thread-safe: stateless; the tables it reads are safe for concurrent lookups.
 */
final class MemoryAccess {
    private MemoryAccess() {}

    /** The MPT entry granting the access, or null if any check fails. */
    static Mpt resolve(DeviceState s, int key, int pd, long va, long length, int rights) {
        ContextTable<Mpt> mpts = s.mpts;
        if (mpts == null) {
            return null;
        }
        Mpt m = mpts.get(key >>> 8);
        if (m == null || m.key != key || m.pd != pd || !m.contains(va, length) || (m.access & rights) != rights) {
            return null;
        }
        return m;
    }

    /** Checks every non-empty SGE of a scatter/gather list for {@code rights}. */
    static boolean checkList(DeviceState s, int pd, long[] addresses, int[] lengths, int[] lkeys, int count, int rights) {
        for (int i = 0; i < count; i++) {
            if (lengths[i] > 0 && resolve(s, lkeys[i], pd, addresses[i], lengths[i], rights) == null) {
                return false;
            }
        }
        return true;
    }

    /**
     * Gathers {@code length} bytes starting {@code offset} bytes into the list into {@code dst} at
     * {@code dstIndex}, checking each SGE it touches (local read needs no right).
     *
     * @return false on a protection failure or if the list is shorter than asked
     */
    static boolean gather(DeviceState s, int pd, long[] addresses, int[] lengths, int[] lkeys, int count, long offset,
            ByteBuffer dst, int dstIndex, int length) {
        return walk(s, pd, addresses, lengths, lkeys, count, offset, dst, dstIndex, length, false, null);
    }

    /**
     * Resolves {@code length} bytes starting {@code offset} bytes into the list to slices of the
     * regions' memory and appends them to {@code frame}'s payload references, checking each SGE it
     * touches as {@link #gather} does; nothing is copied (a segment run's single-copy payload).
     *
     * @return false on a protection failure or if the list is shorter than asked
     */
    static boolean gatherRefs(DeviceState s, int pd, long[] addresses, int[] lengths, int[] lkeys, int count, long offset,
            int length, Frame frame) {
        return walk(s, pd, addresses, lengths, lkeys, count, offset, null, 0, length, false, frame);
    }

    /** Scatters {@code length} bytes from {@code src} at {@code srcIndex} into the list, with LOCAL_WRITE. */
    static boolean scatter(DeviceState s, int pd, long[] addresses, int[] lengths, int[] lkeys, int count, long offset,
            ByteBuffer src, int srcIndex, int length) {
        return walk(s, pd, addresses, lengths, lkeys, count, offset, src, srcIndex, length, true, null);
    }

    /**
     * Walks {@code length} bytes of the list from {@code offset}, checking each SGE it touches, and
     * for each piece copies into or out of {@code buf}, or (with {@code refs}) records the piece as
     * a payload reference of that frame instead.
     */
    private static boolean walk(DeviceState s, int pd, long[] addresses, int[] lengths, int[] lkeys, int count,
            long offset, ByteBuffer buf, int bufIndex, int length, boolean intoMemory, Frame refs) {
        int i = 0;
        long skip = offset;
        while (i < count && skip >= lengths[i]) {
            skip -= lengths[i];
            i++;
        }
        int remaining = length;
        int at = bufIndex;
        while (remaining > 0) {
            if (i >= count) {
                return false;
            }
            int n = (int) Math.min(remaining, lengths[i] - skip);
            long va = addresses[i] + skip;
            Mpt m = resolve(s, lkeys[i], pd, va, n, intoMemory ? org.irpverbs.verbs.AccessFlags.LOCAL_WRITE : 0);
            if (m == null) {
                return false;
            }
            if (refs != null) {
                refs.addPayloadRef(m.memory, m.offset(va), n);
            } else if (intoMemory) {
                m.memory.put(m.offset(va), buf, at, n);
            } else {
                buf.put(at, m.memory, m.offset(va), n);
            }
            at += n;
            remaining -= n;
            skip = 0;
            i++;
        }
        return true;
    }
}
