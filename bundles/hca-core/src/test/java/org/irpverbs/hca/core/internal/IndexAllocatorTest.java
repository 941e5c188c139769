package org.irpverbs.hca.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.BitSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.Test;

/** The number tables: reserved numbers, full tables, round robin, double free, many threads. */
public class IndexAllocatorTest {
    @Test
    public void reservedNumbersAreNeverHandedOutAndAFullTableSaysSo() {
        IndexAllocator qps = new IndexAllocator("QP", 64, 16);
        BitSet seen = new BitSet();
        for (int i = 0; i < 48; i++) {
            int n = qps.allocate();
            assertTrue("reserved QPN " + n, n >= 16 && n < 64);
            assertFalse("twice: " + n, seen.get(n));
            seen.set(n);
        }
        assertEquals(-1, qps.allocate());
        assertEquals(48, qps.inUse());
        assertEquals(48, qps.capacity());
        qps.free(20);
        assertEquals(20, qps.allocate());
    }

    @Test
    public void aFreedNumberIsNotTheNextOneHandedOut() {
        IndexAllocator cqs = new IndexAllocator("CQ", 256, 0);
        int first = cqs.allocate();
        cqs.free(first);
        assertTrue("round robin moves on", cqs.allocate() != first || cqs.capacity() == 1);
    }

    @Test
    public void freeingWhatWasNotAllocatedIsABug() {
        IndexAllocator mpts = new IndexAllocator("MPT", 128, 1);
        try {
            mpts.free(5);
            fail("freed an unallocated number");
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("MPT 5 freed twice"));
        }
        try {
            mpts.free(0);
            fail("freed a reserved number");
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("not a number this table hands out"));
        }
    }

    @Test
    public void concurrentAllocationsNeverHandOutANumberTwice() throws Exception {
        IndexAllocator table = new IndexAllocator("QP", 4096, 16);
        ConcurrentLinkedQueue<Integer> got = new ConcurrentLinkedQueue<>();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 2000; i++) {
                    int n = table.allocate();
                    if (n >= 0) {
                        got.add(n);
                        if (i % 3 == 0) {
                            got.remove(n);
                            table.free(n);
                        }
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        BitSet seen = new BitSet();
        for (int n : got) {
            assertFalse("handed out twice: " + n, seen.get(n));
            seen.set(n);
        }
        assertEquals(got.size(), table.inUse());
    }
}
