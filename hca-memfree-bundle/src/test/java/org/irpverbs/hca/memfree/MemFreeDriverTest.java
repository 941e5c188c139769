package org.irpverbs.hca.memfree;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.hca.core.IcmUsage;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.hca.core.testing.RcEnd;
import org.irpverbs.hca.tavor.TavorDriver;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.softhca.Opcode;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.MemoryRegion;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.WrOpcode;
import org.junit.After;
import org.junit.Test;
import org.osgi.util.promise.Promise;

/**
 * What only the mem-free model does (ICM chunks mapped on first use and unmapped after the last),
 * and the two drivers together: ranking, a driver leaving, a mem-free HCA next to a Tavor one.
 */
public class MemFreeDriverTest {
    private HcaTestRig rig;
    private final TavorDriver tavor = new TavorDriver();
    private final MemFreeDriver memFree = new MemFreeDriver();

    @After
    public void tearDown() {
        if (rig != null) {
            rig.close();
        }
    }

    private HcaTestRig rigWithBothDrivers() {
        rig = new HcaTestRig();
        rig.addDriver(tavor, TavorDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID);
        rig.addDriver(memFree, MemFreeDriver.RANKING, HcaModel.MEMFREE_CAPABLE_ID);
        return rig;
    }

    private static <T> T await(Promise<T> p, String what) {
        return HcaTestRig.await(p, what);
    }

    private IcmUsage icm(String hca, IcmTable table) {
        return rig.hcaDevice(hca).statistics().icm().get(table);
    }

    /** What the hardware says is mapped must be what the driver counts. */
    private void assertHardwareAgrees(String hca) {
        Map<IcmTable, Integer> hardware = rig.hardware(hca).statistics().icmChunksMapped();
        for (IcmTable table : IcmTable.values()) {
            assertEquals(table + " chunks mapped", (int) hardware.getOrDefault(table, 0), icm(hca, table).chunksMapped());
        }
    }

    @Test
    public void theFirstObjectInAChunkMapsItAndTheLastOneUnmapsIt() {
        rigWithBothDrivers().hca("arbel", HcaModel.MT25204, 41).startBus();
        Verbs verbs = rig.verbs("arbel");
        assertEquals(0, icm("arbel", IcmTable.CQC).chunksMapped());
        CompletionQueue first = await(verbs.createCq(8), "CREATE_CQ");
        assertEquals(new IcmUsage(1, 1, 1, 0), icm("arbel", IcmTable.CQC));
        CompletionQueue second = await(verbs.createCq(8), "CREATE_CQ");
        assertEquals("the same chunk: no second MAP_ICM", new IcmUsage(1, 2, 1, 0), icm("arbel", IcmTable.CQC));
        assertHardwareAgrees("arbel");
        await(verbs.destroy(first), "DESTROY_CQ");
        assertEquals(new IcmUsage(1, 1, 1, 0), icm("arbel", IcmTable.CQC));
        await(verbs.destroy(second), "DESTROY_CQ");
        assertEquals("the last one unmapped it", new IcmUsage(0, 0, 1, 1), icm("arbel", IcmTable.CQC));
        assertHardwareAgrees("arbel");
        // a region: its MTT entries and its MPT entry; a QP: its QPC and EQPC entries
        ProtectionDomain pd = await(verbs.allocPd(), "ALLOC_PD");
        MemoryRegion mr = await(verbs.regMr(pd, ByteBuffer.allocate(3 * 4096 + 1), 0x4000, AccessFlags.LOCAL_WRITE),
                "REG_MR");
        CompletionQueue cq = await(verbs.createCq(8), "CREATE_CQ");
        QueuePair qp = await(verbs.createQp(pd, QpType.RC, cq, cq, 2, 2, 1, 0, true), "CREATE_QP");
        assertEquals(1, icm("arbel", IcmTable.MTT).chunksMapped());
        // one reference per object per chunk (mthca_table_get_range): the 4 entries share one chunk
        assertEquals(1, icm("arbel", IcmTable.MTT).references());
        assertEquals(1, icm("arbel", IcmTable.MPT).chunksMapped());
        assertEquals(1, icm("arbel", IcmTable.QPC).chunksMapped());
        assertEquals(1, icm("arbel", IcmTable.EQPC).chunksMapped());
        assertHardwareAgrees("arbel");
        Map<Opcode, Long> commands = rig.hcaDevice("arbel").statistics().commands().completedByOpcode();
        assertEquals(6L, (long) commands.get(Opcode.MAP_ICM));
        await(verbs.destroy(qp), "DESTROY_QP");
        await(verbs.destroy(cq), "DESTROY_CQ");
        await(verbs.destroy(mr), "DEREG_MR");
        await(verbs.destroy(pd), "DEALLOC_PD");
        for (IcmTable table : IcmTable.values()) {
            assertEquals(table + " after the last object", 0, icm("arbel", table).chunksMapped());
            assertEquals(icm("arbel", table).maps(), icm("arbel", table).unmaps());
        }
        assertHardwareAgrees("arbel");
        rig.assertClean();
    }

    /**
     * Many verbs at once on one chunk, creating and destroying: the ones that find the chunk being
     * mapped or unmapped wait without a thread and go on when it settles; the firmware never sees a
     * context in an unmapped chunk (it would fail the command with ICM_NOT_MAPPED) nor an unmap under
     * a live one (BAD_RES_STATE).
     */
    @Test
    public void concurrentVerbsOnOneChunkNeverUseItUnmapped() {
        rigWithBothDrivers().hca("arbel", HcaModel.MT25204, 42).startBus();
        Verbs verbs = rig.verbs("arbel");
        for (int round = 0; round < 20; round++) {
            List<Promise<CompletionQueue>> creates = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                creates.add(verbs.createCq(4));
            }
            List<Promise<Void>> destroys = new ArrayList<>();
            for (Promise<CompletionQueue> p : creates) {
                destroys.add(verbs.destroy(await(p, "CREATE_CQ in round " + round)));
            }
            // the next round's creates race with this round's destroys
            for (Promise<Void> p : destroys) {
                await(p, "DESTROY_CQ in round " + round);
            }
        }
        IcmUsage cqc = icm("arbel", IcmTable.CQC);
        assertEquals(0, cqc.chunksMapped());
        assertEquals(0, cqc.references());
        assertEquals(cqc.maps(), cqc.unmaps());
        assertTrue("mapped again after being unmapped: " + cqc, cqc.maps() >= 20);
        assertHardwareAgrees("arbel");
        rig.assertClean();
    }

    @Test
    public void theMemFreeDriverWinsTheMt25208AndTheTavorDriverTheMt23108() {
        rigWithBothDrivers().startBus();
        // no configuration: the bus's defaults, hca0 (MT23108, LIDs 1, 2) and hca1 (MT25208, LIDs 3, 4)
        assertEquals(TavorDriver.DRIVER_NAME, rig.hcaDevice("hca0").device().driver().name());
        assertEquals(MemFreeDriver.DRIVER_NAME, rig.hcaDevice("hca1").device().driver().name());
        assertEquals("ICM (mem-free)", rig.hcaDevice("hca1").memoryMode());
        assertTrue(await(rig.verbs("hca1").queryCa(), "QUERY_CA").memFree());
        assertEquals(3, await(rig.verbs("hca1").queryPort(1), "QUERY_PORT").lid());
        rig.assertClean();
    }

    @Test
    public void whenTheMemFreeDriverLeavesTheTavorDriverRunsTheResetMt25208() {
        rigWithBothDrivers().hca("arbel", HcaModel.MT25208, 51, 52).hca("sinai", HcaModel.MT25204, 53).startBus();
        HcaDevice before = rig.hcaDevice("arbel");
        assertEquals(MemFreeDriver.DRIVER_NAME, before.device().driver().name());
        assertTrue(rig.claimed("sinai"));
        await(rig.verbs("arbel").createCq(8), "CREATE_CQ under the mem-free driver");
        rig.removeDriver(memFree);
        assertEquals(HcaDevice.State.REMOVED, before.state());
        HcaDevice after = rig.hcaDevice("arbel");
        assertEquals(TavorDriver.DRIVER_NAME, after.device().driver().name());
        // Tavor start-up (SYS_EN) only succeeds on a chip reset after the mem-free firmware ran
        assertFalse(await(rig.verbs("arbel").queryCa(), "QUERY_CA").memFree());
        await(rig.verbs("arbel").createCq(8), "CREATE_CQ under the Tavor driver");
        assertFalse("no driver left for the mem-free-only HCA", rig.claimed("sinai"));
        // back: the better-ranked driver takes the MT25208 over again and claims the MT25204
        MemFreeDriver again = new MemFreeDriver();
        rig.addDriver(again, MemFreeDriver.RANKING, HcaModel.MEMFREE_CAPABLE_ID);
        assertEquals(MemFreeDriver.DRIVER_NAME, rig.hcaDevice("arbel").device().driver().name());
        assertTrue(rig.claimed("sinai"));
        rig.assertClean();
    }

    @Test
    public void aTavorHcaAndAMemFreeHcaExchangeData() {
        rigWithBothDrivers().startBus();
        RcEnd tavorEnd = RcEnd.open(rig, "hca0", 1, 1 << 20);
        RcEnd memFreeEnd = RcEnd.open(rig, "hca1", 2, 1 << 20);
        tavorEnd.connect(memFreeEnd);
        memFreeEnd.connect(tavorEnd);
        for (int i = 0; i < 1 << 20; i++) {
            tavorEnd.buffer.put(i, (byte) (i * 13));
        }
        assertEquals(0, tavorEnd.postRdma(WrOpcode.RDMA_WRITE, 1, 0, 1 << 20, memFreeEnd));
        tavorEnd.pollSuccess();
        assertEquals(tavorEnd.buffer.duplicate().clear(), memFreeEnd.buffer.duplicate().clear());
        tavorEnd.destroy();
        memFreeEnd.destroy();
        rig.assertClean();
    }

    /**
     * A driver registered for hardware it cannot run (the mem-free driver for an MT23108): START
     * fails with the firmware's answer to MAP_FA, the stack is removed and the HCA stays unclaimed
     * until a fitting driver is given it.
     */
    @Test
    public void aDriverThatCannotRunTheHardwareFailsStartAndLeavesItUnclaimed() {
        rig = new HcaTestRig();
        MemFreeDriver wrong = new MemFreeDriver();
        rig.addDriver(wrong, MemFreeDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID);
        rig.hca("tavor", HcaModel.MT23108, 61).startBus();
        assertFalse("START failed, the stack is gone", rig.claimed("tavor"));
        Map<Opcode, Long> commands = rig.hardware("tavor").statistics().commandsByOpcode();
        assertEquals(1L, (long) commands.get(Opcode.MAP_FA));
        assertFalse("nothing after the failed MAP_FA", commands.containsKey(Opcode.RUN_FW));
        rig.removeDriver(wrong);
        rig.addDriver(tavor, TavorDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID);
        await(rig.io.restartDevice(rig.io.device("tavor")), "restart");
        rig.idle();
        assertEquals(TavorDriver.DRIVER_NAME, rig.hcaDevice("tavor").device().driver().name());
        rig.assertClean();
    }
}
