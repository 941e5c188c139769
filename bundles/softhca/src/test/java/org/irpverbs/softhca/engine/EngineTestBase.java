package org.irpverbs.softhca.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.ExecutionLevel;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.fabric.InProcessFabric;
import org.irpverbs.verbs.WorkCompletion;
import org.junit.After;
import org.junit.Before;

/**
 * Two HCAs on one fabric with a standalone I/O manager: a Tavor-mode MT23108 ("a", LID 1) and a
 * mem-free MT25208 ("b", LID 2). Every test ends by checking that nothing blocked at DISPATCH,
 * that every handler ran at DISPATCH, and that no engine work item threw.
 */
public abstract class EngineTestBase {
    protected IoManager io;
    protected InProcessFabric fabric;
    protected final List<TestHca> hcas = new ArrayList<>();
    private long bugsBefore;

    @Before
    public void setUpEngine() {
        BlockingDetector.reset();
        bugsBefore = DriverVerifier.bugCount();
        io = IoManagers.create("t", 2, null);
        fabric = new InProcessFabric("test");
    }

    protected EngineTuning tuning() {
        return EngineTuning.defaults();
    }

    protected TestHca tavor(String name, int lid) {
        TestHca t = TestHca.tavor(TestHca.fastConfig(name, HcaModel.MT23108, lid), fabric, io, tuning());
        hcas.add(t);
        return t;
    }

    protected TestHca memFree(String name, int lid) {
        TestHca t = TestHca.memFree(TestHca.fastConfig(name, HcaModel.MT25208, lid), fabric, io, tuning());
        hcas.add(t);
        return t;
    }

    @After
    public void tearDownEngine() {
        for (TestHca t : hcas) {
            t.hw.close();
        }
        IoManagers.shutdown(io);
        for (TestHca t : hcas) {
            assertTrue(t.unexpected.toString(), t.unexpected.isEmpty());
            for (ExecutionLevel level : t.handlerLevels) {
                assertEquals("handlers run at DISPATCH", ExecutionLevel.DISPATCH, level);
            }
        }
        assertEquals(DriverVerifier.recentBugs().toString(), bugsBefore, DriverVerifier.bugCount());
        assertEquals(BlockingDetector.recentViolations().toString(), 0, BlockingDetector.violationCount());
    }

    /** Compares {@code len} bytes of two buffers, naming the first that differs. */
    static void assertBytes(ByteBuffer expected, int eFrom, ByteBuffer actual, int aFrom, int len) {
        for (int i = 0; i < len; i++) {
            if (expected.get(eFrom + i) != actual.get(aFrom + i)) {
                throw new AssertionError("byte " + i + " of " + len + " differs: " + expected.get(eFrom + i) + " vs "
                        + actual.get(aFrom + i));
            }
        }
    }

    /** The one completion a poll returned. */
    static WorkCompletion one(List<WorkCompletion> got) {
        assertEquals(got.toString(), 1, got.size());
        return got.get(0);
    }
}
