package org.irpverbs.hca.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/** MTT segments: power-of-two blocks, aligned, merged again when freed. */
public class BuddyAllocatorTest {
    @Test
    public void ordersRoundUpToAPowerOfTwo() {
        assertEquals(0, BuddyAllocator.orderFor(1));
        assertEquals(1, BuddyAllocator.orderFor(2));
        assertEquals(2, BuddyAllocator.orderFor(3));
        assertEquals(4, BuddyAllocator.orderFor(16));
        assertEquals(5, BuddyAllocator.orderFor(17));
    }

    @Test
    public void blocksAreAlignedAndDisjointAndMergeBack() {
        BuddyAllocator mtts = new BuddyAllocator(64);
        int a = mtts.allocate(0);
        int b = mtts.allocate(3);
        int c = mtts.allocate(4);
        assertEquals(0, b % 8);
        assertEquals(0, c % 16);
        assertTrue(a < b || a >= b + 8);
        assertTrue(c >= b + 8 || c + 16 <= b);
        assertEquals(1 + 8 + 16, mtts.inUse());
        mtts.free(a, 0);
        mtts.free(b, 3);
        mtts.free(c, 4);
        assertEquals(0, mtts.inUse());
        // everything merged: the whole table is one block again
        assertEquals(0, mtts.allocate(6));
        assertEquals(-1, mtts.allocate(0));
    }

    @Test
    public void aTooLargeOrFragmentedRequestFails() {
        BuddyAllocator mtts = new BuddyAllocator(16);
        assertEquals(-1, mtts.allocate(5));
        int first = mtts.allocate(3);
        int second = mtts.allocate(3);
        assertEquals(-1, mtts.allocate(0));
        mtts.free(first, 3);
        assertEquals(-1, mtts.allocate(4));
        assertTrue(mtts.allocate(3) >= 0);
        mtts.free(second, 3);
    }
}
