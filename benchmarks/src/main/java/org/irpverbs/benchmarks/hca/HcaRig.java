package org.irpverbs.benchmarks.hca;

import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.irpverbs.hca.bus.HcaBusDriver;
import org.irpverbs.hca.bus.HcaHardwareDevice;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.hca.core.HcaDriverOptions;
import org.irpverbs.hca.memfree.MemFreeDriver;
import org.irpverbs.hca.tavor.TavorDriver;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverRegistration;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.PnpState;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.engine.SoftHca;
import org.irpverbs.softhca.fabric.InProcessFabric;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsSpeedPath;
import org.osgi.util.promise.Promise;

/**
 * The real HCA stack without OSGi, for the HCA benchmarks: a standalone I/O manager, the soft HCA
 * bus ({@link HcaBusDriver}) on an in-process fabric, and the real {@link TavorDriver} and
 * {@link MemFreeDriver} (the mem-free one ranked better, so an MT25208 runs mem-free), brought up
 * through PnP exactly as {@code HcaTestRig} in hca-core's test-jar does. It is a copy of that rig
 * rather than a use of it because the test rig asserts with JUnit and switches blocking detection
 * to FAIL; here detection is off (as in every benchmark fork: the detector's span counting is a test
 * aid, not part of the request path) and nothing needs JUnit.
 *
 * <p>Not thread-safe: set up and closed by one PASSIVE thread (a JMH setup method or a harness main).
 */
public final class HcaRig implements AutoCloseable {
    /** How long one verb or PnP step may take before the benchmark gives up. */
    static final long TIMEOUT_SECONDS = 60;

    public final IoManager io;
    public final InProcessFabric fabric;
    public final HcaBusDriver bus;
    private final List<Driver> drivers = new ArrayList<>();
    private boolean busStarted;
    private boolean abandoned;

    /**
     * @param completionThreads size of the I/O manager's completion (DPC) pool
     */
    public HcaRig(String name, int completionThreads) {
        BlockingDetector.setMode(BlockingDetector.Mode.OFF);
        DriverVerifier.reset();
        io = IoManagers.create(name, completionThreads, null);
        fabric = new InProcessFabric(name + "-fabric");
        bus = new HcaBusDriver(fabric);
    }

    /**
     * The bus configuration of one HCA (what a ConfigAdmin factory configuration would hold).
     * Latencies in µs per command class.
     */
    public static Hashtable<String, Object> hca(String name, HcaModel model, long latencyA, long latencyB,
            long latencyC, int logMaxOutstanding, int mtu, int... lids) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("name", name);
        p.put("model", model.name());
        p.put("ports", lids.length);
        StringBuilder l = new StringBuilder();
        for (int lid : lids) {
            l.append(l.length() == 0 ? "" : ",").append(lid);
        }
        p.put("portLids", l.toString());
        p.put("latencyA", latencyA);
        p.put("latencyB", latencyB);
        p.put("latencyC", latencyC);
        p.put("logMaxOutstanding", logMaxOutstanding);
        p.put("mtu", mtu);
        p.put("nodeGuid", String.format("0x0002c903%08x", (name.hashCode() & 0x00FFFFFF) << 4));
        return p;
    }

    /** Configures an HCA on the bus. */
    public HcaRig configure(Hashtable<String, Object> properties) {
        bus.updated("pid-" + properties.get("name"), properties);
        if (busStarted) {
            idle();
        }
        return this;
    }

    /** Adds the Tavor and the mem-free driver, both with {@code options}. */
    public HcaRig addBothDrivers(HcaDriverOptions options) {
        addDriver(new TavorDriver(options), TavorDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID,
                HcaModel.MT23108.hardwareIds().get(0));
        addDriver(new MemFreeDriver(options), MemFreeDriver.RANKING, HcaModel.MEMFREE_CAPABLE_ID);
        return this;
    }

    public HcaRig addDriver(Driver driver, int ranking, String... hardwareIds) {
        drivers.add(driver);
        IoManagers.addDriver(io, driver, DriverRegistration.function(ranking, hardwareIds));
        idle();
        return this;
    }

    /** Starts the bus and waits until every HCA it enumerates has started. */
    public HcaRig startBus() {
        IoManagers.addDriver(io, bus, DriverRegistration.rootDriver());
        busStarted = true;
        idle();
        return this;
    }

    /** Waits until PnP is idle (twice: a replaced HCA comes in an enumeration queued by the first). */
    public void idle() {
        await(io.pnpIdle(), "PnP");
        await(io.pnpIdle(), "PnP");
    }

    /** The started HCA function device serving {@code name}. */
    public HcaDevice hcaDevice(String name) {
        for (DeviceObject d : io.devices()) {
            if (d.extension() instanceof HcaDevice hca && hca.name().equals(name) && d.pnpState() != PnpState.DELETED) {
                if (hca.state() != HcaDevice.State.STARTED) {
                    throw new IllegalStateException(name + " is " + hca.state() + ": " + hca.statistics().lastError());
                }
                return hca;
            }
        }
        throw new IllegalStateException("no HCA device for " + name + "; devices: " + io.devices());
    }

    public Verbs verbs(String name) {
        return new Verbs(io, hcaDevice(name).device());
    }

    public VerbsSpeedPath speedPath(String name) {
        return await(verbs(name).speedPath(), "QUERY_INTERFACE(VerbsSpeedPath) on " + name);
    }

    /** The soft HCA engine behind {@code name}. */
    public SoftHca hardware(String name) {
        DeviceObject pdo = io.device(name);
        if (pdo == null || !(pdo.extension() instanceof HcaHardwareDevice hw)) {
            throw new IllegalStateException("no soft HCA physical device " + name);
        }
        return hw.hardware();
    }

    /**
     * Waits on the calling (PASSIVE) thread for a promise; fails after {@link #TIMEOUT_SECONDS}. Not
     * {@code Promise.timeout}: see HcaTestRig (its timer would be cancelled at DISPATCH).
     */
    public static <T> T await(Promise<T> promise, String what) {
        CountDownLatch done = new CountDownLatch(1);
        promise.onResolve(done::countDown);
        try {
            if (!done.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException(what + " hung (no completion within " + TIMEOUT_SECONDS + " s)");
            }
            return promise.getValue();
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(what + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted", e);
        }
    }

    /** Throws if the driver verifier saw a bug since the rig was made (a benchmark of a broken run means nothing). */
    public void checkClean() {
        if (DriverVerifier.bugCount() != 0) {
            throw new IllegalStateException("driver bugs: " + DriverVerifier.recentBugs());
        }
    }

    /**
     * Gives up on a wedged stack (a request that will never complete keeps driver removal waiting
     * for ever): stops the manager's threads without removing anything. Threads blocked in the
     * stack stay blocked (they are daemons).
     */
    public void abandon() {
        abandoned = true;
        IoManagers.shutdown(io);
    }

    /** Removes the drivers and the bus (which unplugs every HCA), then stops the manager. */
    @Override
    public void close() {
        if (abandoned) {
            return;
        }
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
