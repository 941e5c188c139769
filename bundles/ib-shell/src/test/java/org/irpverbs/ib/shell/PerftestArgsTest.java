package org.irpverbs.ib.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import org.junit.Test;

/** Perftest arguments: defaults, options, and a message naming each bad one. */
public class PerftestArgsTest {
    @Test
    public void positionalArgumentsAndOptionsParse() {
        PerftestArgs a = PerftestArgs.parse("write_bw", false, "hca0", "1", "hca1", "2", "-s", "65536", "-n", "1000", "-t",
                "64");
        assertEquals(new PerftestArgs("write_bw", "hca0", 1, "hca1", 2, 65536, 1000, 64), a);
        PerftestArgs defaults = PerftestArgs.parse("send_bw", false, "hca0", "1", "hca1", "1");
        assertEquals(65536, defaults.size());
        assertEquals(1000, defaults.iterations());
        assertEquals(128, defaults.depth());
        PerftestArgs latency = PerftestArgs.parse("send_lat", true, "hca0", "1", "hca1", "1", "-n", "5");
        assertEquals(2, latency.size());
        assertEquals(1, latency.depth());
        assertEquals("depth never exceeds the iterations", 3,
                PerftestArgs.parse("read_bw", false, "a", "1", "b", "1", "-n", "3").depth());
    }

    @Test
    public void everyBadArgumentIsNamed() {
        bad("expected 4 arguments (hca, port, remote hca, remote port), got 2", "hca0", "1");
        bad("usage: ib:write_bw <hca> <port> <remote hca> <remote port>");
        bad("port must be a whole number, was 'one'", "hca0", "one", "hca1", "1");
        bad("remote port must be 1..254, was 0", "hca0", "1", "hca1", "0");
        bad("-s must be 1..8388608, was 0", "hca0", "1", "hca1", "1", "-s", "0");
        bad("-n must be a whole number, was 'many'", "hca0", "1", "hca1", "1", "-n", "many");
        bad("-t must be 1..1024, was 5000", "hca0", "1", "hca1", "1", "-t", "5000");
        bad("-s needs a value", "hca0", "1", "hca1", "1", "-s");
        bad("unknown option -q", "hca0", "1", "hca1", "1", "-q", "1");
        try {
            PerftestArgs.parse("send_lat", true, "hca0", "1", "hca1", "1", "-t", "4");
            fail("-t accepted by a latency test");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("-t is not an option of ib:send_lat"));
        }
    }

    private static void bad(String message, String... args) {
        try {
            PerftestArgs.parse("write_bw", false, args);
            fail("accepted " + String.join(" ", args));
        } catch (IllegalArgumentException e) {
            assertTrue("'" + e.getMessage() + "' should say '" + message + "'", e.getMessage().contains(message));
        }
    }
}
