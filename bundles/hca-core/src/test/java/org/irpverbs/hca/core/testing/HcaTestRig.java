package org.irpverbs.hca.core.testing;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.irpverbs.hca.bus.HcaBusDriver;
import org.irpverbs.hca.bus.HcaHardwareDevice;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverRegistration;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.PnpState;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.engine.SoftHca;
import org.irpverbs.softhca.fabric.InProcessFabric;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsSpeedPath;
import org.osgi.util.promise.Promise;

/**
 * A standalone I/O manager with the real soft HCA bus on an in-process fabric, for tests of the
 * HCA drivers (no OSGi): configure HCAs, add drivers, wait for PnP, reach each HCA's verbs and
 * speed path, and end with the clean-run checks (no blocking at DISPATCH, no driver bug). Blocking
 * detection is in FAIL mode. Command latencies are scaled down ({@value #LATENCY_A_MICROS},
 * {@value #LATENCY_B_MICROS}, {@value #LATENCY_C_MICROS} µs for classes A, B, C) with the ratios of
 * the PRM kept roughly.
 *
 * <p>Not thread-safe: one per test, driven from the test's thread (PASSIVE).
 */
public final class HcaTestRig implements AutoCloseable {
    public static final long LATENCY_A_MICROS = 2;
    public static final long LATENCY_B_MICROS = 10;
    public static final long LATENCY_C_MICROS = 50;
    /** How long a verb or a PnP operation may take in a test before it counts as hung. */
    public static final long TIMEOUT_SECONDS = 20;

    public final IoManager io;
    public final InProcessFabric fabric;
    public final HcaBusDriver bus;
    private final List<Driver> drivers = new ArrayList<>();
    private boolean busStarted;

    public HcaTestRig() {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
        DriverVerifier.reset();
        io = IoManagers.create("hca-test", 2, null);
        fabric = new InProcessFabric("test-fabric");
        bus = new HcaBusDriver(fabric);
    }

    /** The properties of a fast HCA configuration; tests add or change properties before {@link #configure}. */
    public static Hashtable<String, Object> properties(String name, HcaModel model, int... lids) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("name", name);
        p.put("model", model.name());
        p.put("ports", lids.length);
        p.put("portLids", java.util.Arrays.stream(lids).mapToObj(String::valueOf).collect(Collectors.joining(",")));
        p.put("latencyA", LATENCY_A_MICROS);
        p.put("latencyB", LATENCY_B_MICROS);
        p.put("latencyC", LATENCY_C_MICROS);
        // port GUIDs are the node GUID + port: keep 16 apart so no two HCAs' GUIDs meet
        p.put("nodeGuid", String.format("0x0002c903%08x", (name.hashCode() & 0x00FFFFFF) << 4));
        return p;
    }

    /** Configures an HCA (ConfigAdmin factory configuration {@code pid-<name>}) and waits for PnP. */
    public HcaTestRig configure(Dictionary<String, ?> properties) {
        bus.updated("pid-" + properties.get("name"), properties);
        idle();
        return this;
    }

    /** Configures a fast HCA with one LID per port. */
    public HcaTestRig hca(String name, HcaModel model, int... lids) {
        return configure(properties(name, model, lids));
    }

    /** Deletes an HCA's configuration and waits for PnP. */
    public HcaTestRig unplug(String name) {
        bus.deleted("pid-" + name);
        idle();
        return this;
    }

    /** Starts the bus (root-enumerated) and waits until every stack it leads to has started. */
    public HcaTestRig startBus() {
        IoManagers.addDriver(io, bus, DriverRegistration.rootDriver());
        busStarted = true;
        idle();
        return this;
    }

    public HcaTestRig addDriver(Driver driver, int ranking, String... hardwareIds) {
        drivers.add(driver);
        IoManagers.addDriver(io, driver, DriverRegistration.function(ranking, hardwareIds));
        idle();
        return this;
    }

    public HcaTestRig removeDriver(Driver driver) {
        drivers.remove(driver);
        await(IoManagers.removeDriver(io, driver), "removing driver " + driver.driverObject().name());
        idle();
        return this;
    }

    /** Removes every driver added, last first. */
    public HcaTestRig removeDrivers() {
        for (int i = drivers.size() - 1; i >= 0; i--) {
            removeDriver(drivers.get(i));
        }
        return this;
    }

    /**
     * Waits until all PnP work is done (stacks started, removed), twice: a replaced HCA's
     * successor comes in an enumeration the bus queues from the one that removed its predecessor.
     */
    public void idle() {
        await(io.pnpIdle(), "PnP");
        await(io.pnpIdle(), "PnP");
    }

    /** The HCA function device serving {@code name}, whatever its state. */
    public HcaDevice device(String name) {
        for (DeviceObject d : io.devices()) {
            if (d.extension() instanceof HcaDevice hca && hca.name().equals(name) && d.pnpState() != PnpState.DELETED) {
                return hca;
            }
        }
        throw new AssertionError("no HCA device for " + name + "; devices: " + io.devices());
    }

    /** True if some HCA driver runs {@code name}. */
    public boolean claimed(String name) {
        DeviceObject pdo = io.device(name);
        return pdo != null && pdo.attachedDevice() != null;
    }

    /** The started HCA {@code name}. */
    public HcaDevice hcaDevice(String name) {
        HcaDevice hca = device(name);
        assertEquals(name + " state", HcaDevice.State.STARTED, hca.state());
        return hca;
    }

    public Verbs verbs(String name) {
        return new Verbs(io, hcaDevice(name).device());
    }

    public VerbsSpeedPath speedPath(String name) {
        return await(verbs(name).speedPath(), "QUERY_INTERFACE(VerbsSpeedPath) on " + name);
    }

    /** The soft HCA engine behind {@code name}'s physical device. */
    public SoftHca hardware(String name) {
        DeviceObject pdo = io.device(name);
        if (pdo == null || !(pdo.extension() instanceof HcaHardwareDevice hw)) {
            throw new AssertionError("no soft HCA physical device " + name);
        }
        return hw.hardware();
    }

    /**
     * Waits (on the test's PASSIVE thread) until {@code promise} is resolved. Not
     * {@code Promise.timeout}: its timer is cancelled by the thread that resolves the promise, a
     * DPC here, and cancelling takes the scheduler's queue lock, which may make that DPC wait.
     */
    private static void resolved(Promise<?> promise, String what) {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        promise.onResolve(done::countDown);
        try {
            if (!done.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError(what + " hung (no completion within " + TIMEOUT_SECONDS + " s)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(what + " interrupted");
        }
    }

    /** The promise's value, failing the test if it fails or takes too long. */
    public static <T> T await(Promise<T> promise, String what) {
        resolved(promise, what);
        try {
            return promise.getValue();
        } catch (InvocationTargetException e) {
            throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(what + " interrupted");
        }
    }

    /** The failure a promise must end with; fails the test if it succeeds or hangs. */
    public static IoStatusException failure(Promise<?> promise, String what) {
        resolved(promise, what);
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

    /** Removes the drivers and the bus (which unplugs every HCA), then stops the manager. */
    @Override
    public void close() {
        try {
            for (int i = drivers.size() - 1; i >= 0; i--) {
                await(IoManagers.removeDriver(io, drivers.get(i)), "removing a driver");
            }
            drivers.clear();
            if (busStarted) {
                await(IoManagers.removeDriver(io, bus), "removing the bus");
            }
        } finally {
            IoManagers.shutdown(io);
            fabric.close();
        }
    }
}
