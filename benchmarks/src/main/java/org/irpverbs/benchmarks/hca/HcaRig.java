package org.irpverbs.benchmarks.hca;

import java.util.Hashtable;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.hca.core.HcaDriverOptions;
import org.irpverbs.hca.core.testing.HcaStack;
import org.irpverbs.hca.memfree.MemFreeDriver;
import org.irpverbs.hca.tavor.TavorDriver;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceInterfaceListener;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.softhca.HcaModel;
import org.osgi.util.promise.Promise;

/**
 * The real HCA stack without OSGi for the HCA benchmarks: hca-core's {@link HcaStack} (the one
 * the driver tests' {@code HcaTestRig} is built on) with the real {@link TavorDriver} and
 * {@link MemFreeDriver} (the mem-free one ranked better, so an MT25208 runs mem-free), blocking
 * detection off (as in every benchmark fork: the detector's span counting is a test aid, not part
 * of the request path) and no JUnit.
 *
 * <p>Not thread-safe: set up and closed by one PASSIVE thread (a JMH setup method or a harness main).
 */
public final class HcaRig extends HcaStack<HcaRig> {
    /** How long one verb or PnP step may take before the benchmark gives up. */
    static final long TIMEOUT_SECONDS = 60;

    private boolean abandoned;

    /**
     * @param completionThreads size of the I/O manager's completion (DPC) pool
     */
    public HcaRig(String name, int completionThreads) {
        super(name, completionThreads, BlockingDetector.Mode.OFF);
    }

    /**
     * @param completionThreads size of the I/O manager's completion (DPC) pool
     * @param interfaces        told about the device interfaces the stacks register, as the OSGi
     *                          component would publish them (how IBAL finds the HCAs without OSGi)
     */
    public HcaRig(String name, int completionThreads, DeviceInterfaceListener interfaces) {
        super(name, completionThreads, BlockingDetector.Mode.OFF, interfaces);
    }

    /**
     * The bus configuration of one HCA. Latencies in µs per command class; the outstanding
     * commands' log2 and the port MTU as the bus takes them.
     */
    public static Hashtable<String, Object> hca(String name, HcaModel model, long latencyA, long latencyB,
            long latencyC, int logMaxOutstanding, int mtu, int... lids) {
        Hashtable<String, Object> p = properties(name, model, latencyA, latencyB, latencyC, lids);
        p.put("logMaxOutstanding", logMaxOutstanding);
        p.put("mtu", mtu);
        return p;
    }

    /** Adds the Tavor and the mem-free driver, both with {@code options}. */
    public HcaRig addBothDrivers(HcaDriverOptions options) {
        addDriver(new TavorDriver(options), TavorDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID,
                HcaModel.MT23108.hardwareIds().get(0));
        addDriver(new MemFreeDriver(options), MemFreeDriver.RANKING, HcaModel.MEMFREE_CAPABLE_ID);
        return this;
    }

    @Override
    protected <T> T step(Promise<T> promise, String what) {
        return await(promise, what);
    }

    /** The started HCA function device serving {@code name}. */
    @Override
    public HcaDevice hcaDevice(String name) {
        HcaDevice hca = findDevice(name);
        if (hca == null) {
            throw new IllegalStateException("no HCA device for " + name + "; devices: " + io.devices());
        }
        if (hca.state() != HcaDevice.State.STARTED) {
            throw new IllegalStateException(name + " is " + hca.state() + ": " + hca.statistics().lastError());
        }
        return hca;
    }

    /** Waits on the calling (PASSIVE) thread for a promise's value; fails after {@link #TIMEOUT_SECONDS}. */
    public static <T> T await(Promise<T> promise, String what) {
        return value(promise, what, TIMEOUT_SECONDS);
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

    @Override
    public void close() {
        if (!abandoned) {
            super.close();
        }
    }
}
