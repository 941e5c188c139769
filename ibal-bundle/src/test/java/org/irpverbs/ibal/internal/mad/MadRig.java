package org.irpverbs.ibal.internal.mad;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.util.function.BooleanSupplier;
import org.irpverbs.irp.CodePreloader;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.hca.memfree.MemFreeDriver;
import org.irpverbs.hca.tavor.TavorDriver;
import org.irpverbs.ibal.mad.Mad;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.softhca.HcaModel;
import org.osgi.util.promise.Promise;

/**
 * Two real HCA stacks on one fabric — hcaA an MT23108 under the Tavor driver (LIDs 21, 22), hcaB
 * an MT25208 under the mem-free driver (LIDs 23, 24) — and a MAD service on port 1 of each, on
 * manual timers. Blocking detection is in FAIL mode (HcaTestRig).
 *
 * <p>Not thread-safe: one per test, driven from the test's thread (PASSIVE).
 */
final class MadRig implements AutoCloseable {
    /** How long an asynchronous outcome may take on a busy machine before the test fails. */
    static final long LIVENESS_SECONDS = 30;
    static final int LID_A = 21;
    static final int LID_B = 23;

    final HcaTestRig hcas = new HcaTestRig();
    final ManualMadTimers timers = new ManualMadTimers(hcas.io);
    final PortMadService a;
    final PortMadService b;

    MadRig() {
        CodePreloader.preload(PortMadService.class, Mad.class, Promise.class, TavorDriver.class, MemFreeDriver.class);
        hcas.hca("hcaA", HcaModel.MT23108, LID_A, LID_A + 1).hca("hcaB", HcaModel.MT25208, LID_B, LID_B + 1);
        hcas.addDriver(new TavorDriver(), TavorDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID);
        hcas.addDriver(new MemFreeDriver(), MemFreeDriver.RANKING, HcaModel.MEMFREE_CAPABLE_ID);
        hcas.startBus();
        a = new PortMadService(hcas.io, hcas.verbs("hcaA"), hcas.speedPath("hcaA"), 1, timers);
        b = new PortMadService(hcas.io, hcas.verbs("hcaB"), hcas.speedPath("hcaB"), 1, timers);
        value(a.start(), "start MAD service hcaA/1");
        value(b.start(), "start MAD service hcaB/1");
    }

    static <T> T value(Promise<T> p, String what) {
        return HcaTestRig.value(p, what, LIVENESS_SECONDS);
    }

    /** The failure of {@code p}, which must fail. */
    static IoStatusException failure(Promise<?> p, String what) {
        HcaTestRig.resolved(p, what, LIVENESS_SECONDS);
        try {
            Object v = p.getValue();
            throw new AssertionError(what + " should have failed, resolved with " + v);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IoStatusException s) {
                return s;
            }
            throw new AssertionError(what + " failed with " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(what + " interrupted");
        }
    }

    /** Waits (at PASSIVE, polling) until {@code condition} holds, failing after the liveness bound. */
    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + LIVENESS_SECONDS * 1_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(what + " within " + LIVENESS_SECONDS + " s", System.nanoTime() < deadline);
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /** Stops both services and the stacks, then asserts no blocking at DISPATCH and no driver bug. */
    @Override
    public void close() {
        try {
            value(a.stop(), "stop MAD service hcaA/1");
            value(b.stop(), "stop MAD service hcaB/1");
            assertEquals(PortMadService.State.STOPPED, a.state());
            hcas.assertClean();
        } finally {
            hcas.close();
        }
    }
}
