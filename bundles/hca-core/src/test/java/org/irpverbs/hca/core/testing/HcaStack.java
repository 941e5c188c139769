package org.irpverbs.hca.core.testing;

import org.irpverbs.irp.CodePreloader;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.irpverbs.hca.bus.HcaBusDriver;
import org.irpverbs.hca.bus.HcaHardwareDevice;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceInterfaceListener;
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
 * The real HCA stack without OSGi: a standalone I/O manager, the soft HCA bus
 * ({@link HcaBusDriver}) on an in-process fabric, and whatever drivers are added, brought up and
 * torn down through PnP. Shared by {@link HcaTestRig} (tests: blocking detection FAIL, JUnit
 * failures) and the benchmarks' {@code HcaRig} (detection off, no JUnit); this class uses no JUnit
 * so that a benchmark can load it. Failures are {@link IllegalStateException}s; a subclass turns
 * the waits of its own steps ({@link #step}) into its own failure type.
 *
 * <p>Not thread-safe: set up, used and closed by one PASSIVE thread.
 */
public abstract class HcaStack<S extends HcaStack<S>> implements AutoCloseable {
    public final IoManager io;
    public final InProcessFabric fabric;
    public final HcaBusDriver bus;
    private final List<Driver> drivers = new ArrayList<>();
    private boolean busStarted;

    /**
     * @param mode              blocking detection for the run (set, and its counters reset)
     * @param completionThreads size of the I/O manager's completion (DPC) pool
     */
    protected HcaStack(String name, int completionThreads, BlockingDetector.Mode mode) {
        this(name, completionThreads, mode, null);
    }

    /**
     * @param interfaces told about device interfaces as the OSGi component would register them
     *                   (how an access layer finds HCAs outside OSGi); may be null
     */
    protected HcaStack(String name, int completionThreads, BlockingDetector.Mode mode, DeviceInterfaceListener interfaces) {
        // the code that runs at DISPATCH is loaded before any of it runs (see CodePreloader)
        CodePreloader.preload(IoManagers.class, Verbs.class, SoftHca.class, HcaDevice.class, HcaBusDriver.class);
        BlockingDetector.setMode(mode);
        BlockingDetector.reset();
        DriverVerifier.reset();
        io = IoManagers.create(name, completionThreads, interfaces);
        fabric = new InProcessFabric(name + "-fabric");
        bus = new HcaBusDriver(fabric);
    }

    /**
     * The bus configuration of one HCA (what a ConfigAdmin factory configuration holds): one LID
     * per port, command latencies in µs per class, and a node GUID from the name (port GUIDs are the
     * node GUID + port: 16 apart keeps two HCAs' GUIDs from meeting).
     */
    public static Hashtable<String, Object> properties(String name, HcaModel model, long latencyA, long latencyB,
            long latencyC, int... lids) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("name", name);
        p.put("model", model.name());
        p.put("ports", lids.length);
        p.put("portLids", Arrays.stream(lids).mapToObj(String::valueOf).collect(Collectors.joining(",")));
        p.put("latencyA", latencyA);
        p.put("latencyB", latencyB);
        p.put("latencyC", latencyC);
        p.put("nodeGuid", String.format("0x0002c903%08x", (name.hashCode() & 0x00FFFFFF) << 4));
        return p;
    }

    /** Waits for {@code promise}, one of this stack's steps, failing the way the subclass fails. */
    protected abstract <T> T step(Promise<T> promise, String what);

    @SuppressWarnings("unchecked")
    private S self() {
        return (S) this;
    }

    /** Configures an HCA (factory configuration {@code pid-<name>}) and waits for PnP. */
    public S configure(Dictionary<String, ?> properties) {
        bus.updated("pid-" + properties.get("name"), properties);
        idle();
        return self();
    }

    /** Deletes an HCA's configuration and waits for PnP. */
    public S unplug(String name) {
        bus.deleted("pid-" + name);
        idle();
        return self();
    }

    /** Starts the bus (root-enumerated) and waits until every stack it leads to has started. */
    public S startBus() {
        IoManagers.addDriver(io, bus, DriverRegistration.rootDriver());
        busStarted = true;
        idle();
        return self();
    }

    public S addDriver(Driver driver, int ranking, String... hardwareIds) {
        CodePreloader.preload(driver.getClass());
        drivers.add(driver);
        IoManagers.addDriver(io, driver, DriverRegistration.function(ranking, hardwareIds));
        idle();
        return self();
    }

    public S removeDriver(Driver driver) {
        drivers.remove(driver);
        step(IoManagers.removeDriver(io, driver), "removing driver " + driver.driverObject().name());
        idle();
        return self();
    }

    /** Removes every driver added, last first. */
    public S removeDrivers() {
        for (int i = drivers.size() - 1; i >= 0; i--) {
            removeDriver(drivers.get(i));
        }
        return self();
    }

    /**
     * Waits until all PnP work is done (stacks started, removed), twice: a replaced HCA's
     * successor comes in an enumeration the bus queues from the one that removed its predecessor.
     */
    public void idle() {
        step(io.pnpIdle(), "PnP");
        step(io.pnpIdle(), "PnP");
    }

    /** The HCA function device serving {@code name}, whatever its state; null if there is none. */
    public HcaDevice findDevice(String name) {
        for (DeviceObject d : io.devices()) {
            if (d.extension() instanceof HcaDevice hca && hca.name().equals(name) && d.pnpState() != PnpState.DELETED) {
                return hca;
            }
        }
        return null;
    }

    /** The started HCA {@code name}. */
    public abstract HcaDevice hcaDevice(String name);

    public Verbs verbs(String name) {
        return new Verbs(io, hcaDevice(name).device());
    }

    public VerbsSpeedPath speedPath(String name) {
        return step(verbs(name).speedPath(), "QUERY_INTERFACE(VerbsSpeedPath) on " + name);
    }

    /** The soft HCA engine behind {@code name}'s physical device. */
    public SoftHca hardware(String name) {
        DeviceObject pdo = io.device(name);
        if (pdo == null || !(pdo.extension() instanceof HcaHardwareDevice hw)) {
            throw new IllegalStateException("no soft HCA physical device " + name);
        }
        return hw.hardware();
    }

    /**
     * Waits on the calling (PASSIVE) thread until {@code promise} is resolved. A latch the
     * promise's callback counts down, not {@code Promise.timeout}: a verb's promise is not always
     * the I/O manager's (a refused verb's is a plain resolved one), and a latch bounds the wait
     * for any implementation without leaving a timer armed behind it.
     *
     * @throws IllegalStateException if it takes longer than {@code timeoutSeconds} or the thread is interrupted
     */
    public static void resolved(Promise<?> promise, String what, long timeoutSeconds) {
        CountDownLatch done = new CountDownLatch(1);
        promise.onResolve(done::countDown);
        try {
            if (!done.await(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new IllegalStateException(what + " hung (no completion within " + timeoutSeconds + " s)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted", e);
        }
    }

    /**
     * The promise's value.
     *
     * @throws IllegalStateException if it fails ("what failed: cause", the cause attached), hangs or is interrupted
     */
    public static <T> T value(Promise<T> promise, String what, long timeoutSeconds) {
        resolved(promise, what, timeoutSeconds);
        try {
            return promise.getValue();
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(what + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted", e);
        }
    }

    /** Removes the drivers and the bus (which unplugs every HCA), then stops the manager. */
    @Override
    public void close() {
        try {
            for (int i = drivers.size() - 1; i >= 0; i--) {
                step(IoManagers.removeDriver(io, drivers.get(i)), "removing a driver");
            }
            drivers.clear();
            if (busStarted) {
                step(IoManagers.removeDriver(io, bus), "removing the bus");
            }
        } finally {
            IoManagers.shutdown(io);
            fabric.close();
        }
    }
}
