package org.irpverbs.hca.tavor;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import org.irpverbs.hca.core.HcaDriverOptions;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.Opcode;
import org.irpverbs.softhca.cmdif.CommandMode;
import org.irpverbs.verbs.CaAttributes;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.Verbs;
import org.junit.After;
import org.junit.Test;

/** What only the Tavor model does: fixed tables in on-card memory, Tavor mode of an MT25208, legacy commands. */
public class TavorDriverTest {
    private HcaTestRig rig;

    @After
    public void tearDown() {
        if (rig != null) {
            rig.close();
        }
    }

    private HcaTestRig rig(TavorDriver driver) {
        rig = new HcaTestRig();
        rig.addDriver(driver, TavorDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID, TavorDriver.MT23108_PCI_ID);
        return rig;
    }

    @Test
    public void aFullTableInSmallOnCardMemoryFailsCreationWithInsufficientResources() {
        rig(new TavorDriver());
        Hashtable<String, Object> small = HcaTestRig.properties("small", HcaModel.MT23108, 1);
        small.put("onCardMemoryMiB", 1);
        rig.configure(small).startBus();
        Verbs verbs = rig.verbs("small");
        CaAttributes ca = HcaTestRig.await(verbs.queryCa(), "QUERY_CA");
        assertTrue("1 MiB holds far fewer than 64K QPs: " + ca.maxQp(), ca.maxQp() < 4096);
        ProtectionDomain pd = HcaTestRig.await(verbs.allocPd(), "ALLOC_PD");
        CompletionQueue cq = HcaTestRig.await(verbs.createCq(4), "CREATE_CQ");
        List<QueuePair> qps = new ArrayList<>();
        for (int i = 0; i < ca.maxQp(); i++) {
            qps.add(HcaTestRig.await(verbs.createQp(pd, QpType.UD, cq, cq, 1, 1, 1, 0, true), "CREATE_QP " + i));
        }
        IoStatusException full = HcaTestRig.failure(verbs.createQp(pd, QpType.UD, cq, cq, 1, 1, 1, 0, true), "one QP too many");
        assertEquals(NtStatus.name(NtStatus.INSUFFICIENT_RESOURCES), NtStatus.name(full.status()));
        assertTrue(full.getMessage(), full.getMessage().contains("the QP table is full (" + ca.maxQp() + " QPs)"));
        assertEquals(ca.maxQp(), rig.hcaDevice("small").statistics().resources().get("QP").inUse());
        // Tavor creates QPs without commands: no MAP_ICM, no RST2INIT yet
        assertFalse(rig.hcaDevice("small").statistics().commands().completedByOpcode().containsKey(Opcode.MAP_ICM));
        HcaTestRig.await(verbs.destroy(qps.get(0)), "DESTROY_QP");
        HcaTestRig.await(verbs.createQp(pd, QpType.UD, cq, cq, 1, 1, 1, 0, true), "CREATE_QP after a destroy");
        rig.assertClean();
    }

    @Test
    public void withoutAMemFreeDriverAnMt25208RunsInTavorModeAndAnMt25204StaysUnclaimed() {
        rig(new TavorDriver());
        rig.hca("arbel", HcaModel.MT25208, 21, 22).hca("sinai", HcaModel.MT25204, 23).startBus();
        CaAttributes arbel = HcaTestRig.await(rig.verbs("arbel").queryCa(), "QUERY_CA");
        assertEquals(25208, arbel.vendorPartId());
        assertFalse("Tavor-compatibility mode", arbel.memFree());
        assertEquals("on-card (Tavor)", rig.hcaDevice("arbel").memoryMode());
        assertTrue(rig.hcaDevice("arbel").statistics().commands().completedByOpcode().containsKey(Opcode.SYS_EN));
        assertFalse("no driver for a mem-free-only HCA", rig.claimed("sinai"));
        assertTrue(rig.io.device("sinai").hardwareIds().contains(HcaModel.MEMFREE_CAPABLE_ID));
        rig.assertClean();
    }

    @Test
    public void theLegacyCommandModeBlocksOnlyPassiveCallers() {
        rig(new TavorDriver(new HcaDriverOptions(CommandMode.LEGACY_BLOCKING, 5_000_000_000L)));
        rig.hca("legacy", HcaModel.MT23108, 31, 32).startBus();
        Verbs verbs = rig.verbs("legacy");
        assertEquals(CommandMode.LEGACY_BLOCKING, rig.hcaDevice("legacy").statistics().commands().mode());
        // the test thread is PASSIVE: the legacy path may block it
        ProtectionDomain pd = HcaTestRig.await(verbs.allocPd(), "ALLOC_PD");
        CompletionQueue cq = HcaTestRig.await(verbs.createCq(8), "CREATE_CQ (SW2HW_CQ, blocking)");
        QueuePair qp = HcaTestRig.await(verbs.createQp(pd, QpType.RC, cq, cq, 2, 2, 1, 0, true), "CREATE_QP");
        HcaTestRig.await(verbs.destroy(qp), "DESTROY_QP");
        HcaTestRig.await(verbs.destroy(cq), "DESTROY_CQ");
        HcaTestRig.await(verbs.destroy(pd), "DEALLOC_PD");
        rig.assertClean();
    }

    @Test
    public void aBadConfigurationIsReplacedByTheDefaults() {
        TavorDriver.Config bad = config("eventually", 0);
        assertEquals(HcaDriverOptions.DEFAULTS, new TavorDriver(bad).options());
        TavorDriver.Config legacy = config("legacy", 250);
        assertEquals(HcaDriverOptions.parse("legacy", 250), new TavorDriver(legacy).options());
    }

    private static TavorDriver.Config config(String mode, long timeout) {
        return new TavorDriver.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return TavorDriver.Config.class;
            }

            @Override
            public String commandMode() {
                return mode;
            }

            @Override
            public long commandTimeoutMillis() {
                return timeout;
            }
        };
    }
}
