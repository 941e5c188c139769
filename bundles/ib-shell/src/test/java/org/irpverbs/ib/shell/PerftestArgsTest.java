package org.irpverbs.ib.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import org.junit.Test;

/** Perftest arguments: defaults, options, and one line naming each bad one. */
public class PerftestArgsTest {
    @Test
    public void positionalArgumentsAndOptionsParse() {
        PerftestArgs a = PerftestArgs.parse("write_bw", false, "hca0", "1", "hca1", "2", "-s", "65536", "-n", "1000", "-t",
                "64");
        assertEquals(new PerftestArgs("write_bw", "hca0", 1, "hca1", 2, 65536, 1000, 64, 0), a);
        PerftestArgs defaults = PerftestArgs.parse("send_bw", false, "hca0", "1", "hca1", "1");
        assertEquals(65536, defaults.size());
        assertEquals(1000, defaults.iterations());
        assertEquals(128, defaults.depth());
        PerftestArgs latency = PerftestArgs.parse("send_lat", true, "hca0", "1", "hca1", "1", "-n", "5");
        assertEquals(2, latency.size());
        assertEquals(1, latency.depth());
        assertEquals("long forms, with = too", new PerftestArgs("read_bw", "a", 1, "b", 2, 4096, 7, 3, 0),
                PerftestArgs.parse("read_bw", false, "a", "1", "b", "2", "--size=4096", "--iters", "7", "--tx-depth=3"));
    }

    @Test
    public void aDepthAboveTheIterationsIsLimitedAndSaysSo() {
        PerftestArgs a = PerftestArgs.parse("read_bw", false, "a", "1", "b", "1", "-t", "1024");
        assertEquals(1000, a.depth());
        assertEquals(" (-t 1024 is more than the 1000 iterations)", a.depthNote());
        assertEquals("", PerftestArgs.parse("read_bw", false, "a", "1", "b", "1", "-t", "64").depthNote());
    }

    @Test
    public void durationOptionRunsForSecondsInsteadOfIterations() {
        PerftestArgs a = PerftestArgs.parse("write_bw", false, "a", "1", "b", "1", "-D", "5", "-t", "1024");
        assertEquals(5, a.durationSeconds());
        assertEquals("a timed run is not limited by -n", 1024, a.depth());
        bad("ib:write_bw: -D must be 1..3600, was 0", "a", "1", "b", "1", "-D", "0");
        bad("ib:write_bw: -n and -D exclude each other", "a", "1", "b", "1", "-D", "5", "-n", "10");
    }

    @Test
    public void everyBadArgumentIsNamedInOneLine() {
        bad("ib:write_bw: expected 4 arguments (<hca> <port> <remote hca> <remote port>), got 2 (hca0 1)"
                + " ('ib:write_bw -h' shows the usage)", "hca0", "1");
        bad("ib:write_bw: expected 4 arguments");
        bad("ib:write_bw: port must be a whole number 1..254, was 'one'", "hca0", "one", "hca1", "1");
        bad("ib:write_bw: remote port must be 1..254, was 0", "hca0", "1", "hca1", "0");
        bad("ib:write_bw: port must be 1..254, was -1", "hca0", "-1", "hca1", "1");
        bad("ib:write_bw: -s must be 1..8388608, was 0", "hca0", "1", "hca1", "1", "-s", "0");
        bad("ib:write_bw: -s must be 1..8388608, was -5", "hca0", "1", "hca1", "1", "-s", "-5");
        bad("ib:write_bw: -n must be a whole number 1..1000000, was 'many'", "hca0", "1", "hca1", "1", "-n", "many");
        bad("ib:write_bw: -n must be 1..1000000, was 99999999999", "hca0", "1", "hca1", "1", "-n", "99999999999");
        bad("ib:write_bw: -t must be 1..1024, was 5000", "hca0", "1", "hca1", "1", "-t", "5000");
        bad("ib:write_bw: -s needs a value (<bytes>)", "hca0", "1", "hca1", "1", "-s");
        bad("ib:write_bw: unknown option -q; it takes -s, -n, -D, -t and -h", "hca0", "1", "hca1", "1", "-q", "1");
        try {
            PerftestArgs.parse("send_lat", true, "hca0", "1", "hca1", "1", "-t", "4");
            fail("-t accepted by a latency test");
        } catch (CommandFailure e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("ib:send_lat: unknown option -t; it takes -s, -n, -D and -h"));
        }
    }

    @Test
    public void usageListsEveryOptionWithItsRange() {
        String usage = PerftestArgs.spec("write_bw", false, WriteBandwidth.DESCRIPTION).usage();
        assertTrue(usage, usage.startsWith("usage: ib:write_bw <hca> <port> <remote hca> <remote port> [-s <bytes>]"
                + " [-n <iterations>] [-D <seconds>] [-t <depth>]\n"));
        assertTrue(usage, usage.contains("  -s, --size <bytes>"));
        assertTrue(usage, usage.contains("message size, 1..8388608 (default 65536)"));
        assertTrue(usage, usage.contains("  -D, --duration <seconds>"));
        assertTrue(usage, usage.contains("  -h, --help"));
        String latency = PerftestArgs.spec("send_lat", true, SendLatency.DESCRIPTION).usage();
        assertFalse(latency, latency.contains("-t"));
    }

    private static void bad(String message, String... args) {
        try {
            PerftestArgs.parse("write_bw", false, args);
            fail("accepted " + String.join(" ", args));
        } catch (CommandFailure e) {
            assertTrue("'" + e.getMessage() + "' should start with '" + message + "'", e.getMessage().startsWith(message));
            assertEquals("no class name", e.getMessage(), e.toString());
            assertFalse("one line: " + e.getMessage(), e.getMessage().contains("\n"));
        }
    }
}
