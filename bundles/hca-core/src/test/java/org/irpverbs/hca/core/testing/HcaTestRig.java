package org.irpverbs.hca.core.testing;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.lang.reflect.InvocationTargetException;
import java.util.Hashtable;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceInterfaceListener;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.softhca.HcaModel;
import org.osgi.util.promise.Promise;

/**
 * The HCA stack of {@link HcaStack} for tests of the HCA drivers (no OSGi): configure HCAs, add
 * drivers, wait for PnP, reach each HCA's verbs and speed path, and end with the clean-run checks
 * (no blocking at DISPATCH, no driver bug). Blocking detection is in FAIL mode; a step that fails
 * or hangs fails the test (AssertionError). Command latencies are scaled down ({@value #LATENCY_A_MICROS},
 * {@value #LATENCY_B_MICROS}, {@value #LATENCY_C_MICROS} µs for classes A, B, C) with the ratios of
 * the PRM kept roughly.
 *
 * <p>Not thread-safe: one per test, driven from the test's thread (PASSIVE).
 */
public final class HcaTestRig extends HcaStack<HcaTestRig> {
    public static final long LATENCY_A_MICROS = 2;
    public static final long LATENCY_B_MICROS = 10;
    public static final long LATENCY_C_MICROS = 50;
    /** How long a verb or a PnP operation may take in a test before it counts as hung. */
    public static final long TIMEOUT_SECONDS = 20;

    public HcaTestRig() {
        this(null);
    }

    /** A rig whose I/O manager tells {@code interfaces} about device interfaces (an access layer's binding). */
    public HcaTestRig(DeviceInterfaceListener interfaces) {
        super("hca-test", 2, BlockingDetector.Mode.FAIL, interfaces);
    }

    /** The properties of a fast HCA configuration; tests add or change properties before {@link #configure}. */
    public static Hashtable<String, Object> properties(String name, HcaModel model, int... lids) {
        return HcaStack.properties(name, model, LATENCY_A_MICROS, LATENCY_B_MICROS, LATENCY_C_MICROS, lids);
    }

    /** Configures a fast HCA with one LID per port. */
    public HcaTestRig hca(String name, HcaModel model, int... lids) {
        return configure(properties(name, model, lids));
    }

    @Override
    protected <T> T step(Promise<T> promise, String what) {
        return await(promise, what);
    }

    /** The HCA function device serving {@code name}, whatever its state. */
    public HcaDevice device(String name) {
        HcaDevice hca = findDevice(name);
        if (hca == null) {
            throw new AssertionError("no HCA device for " + name + "; devices: " + io.devices());
        }
        return hca;
    }

    /** True if some HCA driver runs {@code name}. */
    public boolean claimed(String name) {
        DeviceObject pdo = io.device(name);
        return pdo != null && pdo.attachedDevice() != null;
    }

    /** The started HCA {@code name}. */
    @Override
    public HcaDevice hcaDevice(String name) {
        HcaDevice hca = device(name);
        assertEquals(name + " state", HcaDevice.State.STARTED, hca.state());
        return hca;
    }

    /** The promise's value, failing the test if it fails or takes too long. */
    public static <T> T await(Promise<T> promise, String what) {
        try {
            return HcaStack.value(promise, what, TIMEOUT_SECONDS);
        } catch (IllegalStateException e) {
            throw new AssertionError(e.getMessage(), e.getCause());
        }
    }

    /** The failure a promise must end with; fails the test if it succeeds or hangs. */
    public static IoStatusException failure(Promise<?> promise, String what) {
        try {
            HcaStack.resolved(promise, what, TIMEOUT_SECONDS);
        } catch (IllegalStateException e) {
            throw new AssertionError(e.getMessage(), e.getCause());
        }
        try {
            Object value = promise.getValue();
            fail(what + " succeeded with " + value + " but should have failed");
            return null;
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IoStatusException status) {
                return status;
            }
            throw new AssertionError(what + " failed with " + e.getCause() + ", not a status", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(what + " interrupted");
        }
    }

    /** No blocking at DISPATCH and no driver bug since the rig was made. */
    public void assertClean() {
        assertEquals("blocking at DISPATCH: " + BlockingDetector.recentViolations(), 0, BlockingDetector.violationCount());
        assertEquals("driver bugs: " + DriverVerifier.recentBugs(), 0, DriverVerifier.bugCount());
    }
}
