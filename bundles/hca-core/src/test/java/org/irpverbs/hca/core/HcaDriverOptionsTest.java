package org.irpverbs.hca.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.concurrent.TimeUnit;
import org.irpverbs.softhca.cmdif.CommandMode;
import org.junit.Test;

/** The drivers' configuration: modes and timeouts parse, bad values name the attribute. */
public class HcaDriverOptionsTest {
    @Test
    public void modesAndTimeoutsParse() {
        HcaDriverOptions legacy = HcaDriverOptions.parse("legacy", 250);
        assertEquals(CommandMode.LEGACY_BLOCKING, legacy.commandMode());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(250), legacy.commandTimeoutNanos());
        assertEquals(CommandMode.QUEUED, HcaDriverOptions.parse("queued", 5000).commandMode());
    }

    @Test
    public void badValuesNameTheAttribute() {
        expect(() -> HcaDriverOptions.parse("eventually", 5000), "commandMode");
        expect(() -> HcaDriverOptions.parse("queued", 0), "commandTimeoutMillis must be 1..600000, was 0");
        expect(() -> HcaDriverOptions.parse("queued", 600_001), "commandTimeoutMillis");
        expect(() -> new HcaDriverOptions(null, 1_000_000), "commandMode is required");
    }

    private static void expect(Runnable r, String message) {
        try {
            r.run();
            fail("accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(message));
        }
    }
}
