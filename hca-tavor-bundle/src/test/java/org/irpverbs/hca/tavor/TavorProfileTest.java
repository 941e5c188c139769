package org.irpverbs.hca.tavor;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.List;
import org.irpverbs.hca.core.StartupFailure;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.verbs.Mtu;
import org.junit.Test;

/** The Tavor profile fits on-card memory by halving the largest table. */
public class TavorProfileTest {
    private static HcaConfig config(long memory) {
        return new HcaConfig("hca0", HcaModel.MT23108, 2, memory, 4, 0, 0, 0, 1, List.of(1, 2), Mtu.MTU_2048, 1 << 16,
                1 << 16, 1 << 17, 1 << 20, 1 << 13);
    }

    private static Command.DeviceLimits limits(HcaConfig c) {
        return new Command.DeviceLimits(c.maxQp(), c.maxCq(), c.maxMpt(), c.maxMtt(), c.maxMcg(), 1 << 16, 2, 16384, 16,
                65535, 256, c.onCardMemoryBytes(), false, true);
    }

    @Test
    public void theDefaultProfileIsShrunkToTheCardsMemory() throws Exception {
        HcaConfig c = config(128L << 20);
        Command.Profile p = TavorProfile.fit(c, limits(c));
        assertTrue(p.contextBytes() <= 128L << 20);
        assertFalse(p.memFree());
        assertEquals("the default profile fits 128 MiB untouched", 1 << 16, p.qps());
        HcaConfig small = config(1L << 20);
        Command.Profile q = TavorProfile.fit(small, limits(small));
        assertTrue(q.contextBytes() <= 1L << 20);
        for (int size : new int[] {q.qps(), q.cqs(), q.mpts(), q.mtts(), q.mcgs()}) {
            assertEquals("power of two: " + size, 1, Integer.bitCount(size));
        }
        assertTrue("QPs shrink most (288 bytes each): " + q, q.qps() <= 2048);
    }

    @Test
    public void aProfileThatCannotFitFailsStartWithInsufficientResources() {
        HcaConfig c = config(1L << 20);
        Command.DeviceLimits tiny = new Command.DeviceLimits(c.maxQp(), c.maxCq(), c.maxMpt(), c.maxMtt(), c.maxMcg(),
                1 << 16, 2, 16384, 16, 65535, 256, 16 * 1024, false, true);
        try {
            TavorProfile.fit(c, tiny);
            fail("fitted 16 KiB");
        } catch (StartupFailure e) {
            assertEquals(NtStatus.INSUFFICIENT_RESOURCES, e.status());
            assertTrue(e.getMessage(), e.getMessage().contains("smallest Tavor profile"));
        }
    }

    @Test
    public void theDriverClaimsTheMt23108PciId() {
        assertEquals(HcaModel.MT23108.hardwareIds().get(0), TavorDriver.MT23108_PCI_ID);
    }
}
