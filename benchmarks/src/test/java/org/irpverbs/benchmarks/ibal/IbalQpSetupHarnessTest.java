package org.irpverbs.benchmarks.ibal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.irpverbs.benchmarks.ibal.IbalQpSetupHarness.Cleanup;
import org.irpverbs.benchmarks.ibal.IbalQpSetupHarness.Options;
import org.irpverbs.benchmarks.ibal.IbalQpSetupHarness.PathResult;
import org.irpverbs.benchmarks.ibal.IbalQpSetupHarness.Report;
import org.irpverbs.benchmarks.ibal.IbalQpSetupHarness.Row;
import org.irpverbs.softhca.Opcode;
import org.junit.Test;

/**
 * The IBAL QP-setup harness at N = 2, one round, no warm-up: it completes, each path brought two
 * QPs to RTS with the same commands, and the stacks were left as they were found (the HCA's objects
 * in use back to what they were before the clients, IBAL's tree for the ULP empty). No timing is
 * asserted: the figures are read in docs/BENCHMARKS.md, never checked by the build.
 */
public class IbalQpSetupHarnessTest {
    @Test
    public void twoClientsThroughIbalAndDirectCompleteAndLeaveNothingBehind() throws Exception {
        Options options = Options.parse("--clients", "2", "--models", "MT25208", "--latency-us", "10", "--rounds", "1",
                "--warmup-commands", "0", "--legacy-clients", "platform");
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        Report report;
        try (PrintStream out = new PrintStream(progress, true, StandardCharsets.UTF_8)) {
            report = IbalQpSetupHarness.run(options, out);
            IbalQpSetupHarness.print(report, options, out);
        }
        String printed = progress.toString(StandardCharsets.UTF_8);
        assertEquals(printed, 2, report.rows().size());

        Row queued = report.rows().get(0);
        assertEquals("queued", queued.section());
        assertEquals(2, queued.clients());
        assertEquals(1, queued.rounds());
        assertNotNull("the queued section measures the IBAL path: " + printed, queued.ibal());
        for (PathResult p : List.of(queued.direct(), queued.ibal())) {
            assertQpsToRts(p);
            assertEquals(p.path() + " added threads in queued mode", 0, p.threadsUsed());
        }
        assertEquals("IBAL", queued.ibal().path());
        assertTrue(queued.ratios()[0] > 0);

        Row legacy = report.rows().get(1);
        assertEquals("legacy-platform", legacy.section());
        assertNotNull("IBAL's legacy mode (its worker threads) measured beside the direct path: " + printed, legacy.ibal());
        for (PathResult p : List.of(legacy.direct(), legacy.ibal())) {
            assertQpsToRts(p);
            assertTrue(p.path() + ": a blocking client is a thread: " + p.threadsUsed(), p.threadsUsed() >= 2);
        }

        assertEquals(2, report.cleanups().size());
        for (Cleanup c : report.cleanups()) {
            assertEquals(c.stack() + ": the HCA's objects in use", c.before(), c.after());
            assertTrue(c.stack() + ": IBAL's trees " + c.ibalObjects(), c.clean());
        }
        assertEquals("the queued stack had IBAL and the ULP client", 1, report.cleanups().get(0).ibalObjects().size());
        assertEquals("so had the legacy one", 1, report.cleanups().get(1).ibalObjects().size());
        assertTrue(printed, printed.contains("| MT25208 (mem-free) | 10 | queued | 2 | 1 | 2 |"));
    }

    /** Two QPs, each through the three transitions (MAP_ICM as the mem-free HCA's ICM needs it). */
    private static void assertQpsToRts(PathResult p) {
        assertEquals(p.path(), 2, p.qpsPerRound());
        assertEquals(1, p.rates().length);
        assertEquals(1, p.cpuMicrosPerQp().length);
        assertTrue(p.path() + " CPU time " + p.cpuMicrosPerQp()[0], p.cpuMicrosPerQp()[0] > 0);
        assertTrue(p.path() + " rate " + p.rates()[0], p.rates()[0] > 0);
        Map<Opcode, Long> ops = p.opcodes();
        for (Opcode transition : List.of(Opcode.RST2INIT_QPEE, Opcode.INIT2RTR_QPEE, Opcode.RTR2RTS_QPEE)) {
            assertEquals(p.path() + " " + ops, Long.valueOf(2), ops.get(transition));
        }
        long others = ops.entrySet().stream().filter(e -> e.getKey() != Opcode.RST2INIT_QPEE
                && e.getKey() != Opcode.INIT2RTR_QPEE && e.getKey() != Opcode.RTR2RTS_QPEE && e.getKey() != Opcode.MAP_ICM)
                .count();
        assertEquals(p.path() + " ran other commands: " + ops, 0, others);
    }

    @Test
    public void badOptionsGetAMessage() {
        assertEquals("--ibal-modes takes queued and/or legacy, was fast",
                assertThrows(IllegalArgumentException.class, () -> Options.parse("--ibal-modes", "fast")).getMessage());
        assertEquals("--clients takes numbers, was x",
                assertThrows(IllegalArgumentException.class, () -> Options.parse("--clients", "x")).getMessage());
        assertEquals("--clients must be positive, was [0]",
                assertThrows(IllegalArgumentException.class, () -> Options.parse("--clients", "0")).getMessage());
        assertEquals("option --rounds needs a value",
                assertThrows(IllegalArgumentException.class, () -> Options.parse("--rounds")).getMessage());
        assertEquals("--legacy-clients takes platform, virtual or none, was green", assertThrows(
                IllegalArgumentException.class, () -> Options.parse("--legacy-clients", "green")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Options.parse("--speed", "1")).getMessage()
                .startsWith("unknown option --speed"));
    }
}
