package org.irpverbs.benchmarks.hca;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

/**
 * The WRITE benchmark's {@code -p} values are checked before any HCA starts: a bad one is a
 * message naming the parameter and what it takes, not an ArithmeticException or a run that
 * signals no WRITE and waits for ever.
 */
public class RdmaWriteBenchmarkParamsTest {
    @Test
    public void cqModMustBeInRangeAndDivideTheWritesPerCall() {
        for (int ok : new int[] {1, 16, 64, 100}) {
            RdmaWriteBenchmark.Link.checkCqMod(ok);
        }
        for (int bad : new int[] {0, -1, 3, RdmaWriteBenchmark.DEPTH, 200, 1600}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RdmaWriteBenchmark.Link.checkCqMod(bad));
            assertEquals("cqMod must be 1..128 and divide 1600, was " + bad, e.getMessage());
        }
    }

    @Test
    public void waitIsPollOrEvent() {
        assertFalse(RdmaWriteBenchmark.Link.waitsForEvents("poll"));
        assertTrue(RdmaWriteBenchmark.Link.waitsForEvents("event"));
        for (String bad : new String[] {"sleep", "", "Poll", null}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RdmaWriteBenchmark.Link.waitsForEvents(bad));
            assertEquals("wait must be poll or event, was " + bad, e.getMessage());
        }
    }
}
