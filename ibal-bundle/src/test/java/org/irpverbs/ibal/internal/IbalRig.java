package org.irpverbs.ibal.internal;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.irpverbs.hca.core.HcaDriverOptions;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.hca.memfree.MemFreeDriver;
import org.irpverbs.hca.tavor.TavorDriver;
import org.irpverbs.ibal.IbalCa;
import org.irpverbs.ibal.IbalChild;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverRegistration;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.PnpState;
import org.irpverbs.softhca.HcaModel;

/**
 * The real HCA stacks (soft HCAs on the hca bus, the Tavor and mem-free drivers) with IBAL bound
 * the way its OSGi component binds: to the HCA function devices' interface, told by the I/O
 * manager's interface listener (what the OSGi component turns into the DeviceObject services DS
 * binds), with the bindings present before IBAL started replayed to it as DS does.
 *
 * <p>Not thread-safe: one per test, driven from the test's thread (PASSIVE).
 */
final class IbalRig implements AutoCloseable {
    /** How long an asynchronous outcome may take on a busy machine before the test fails. */
    static final long LIVENESS_SECONDS = 30;

    static {
        // IBAL's classes are loaded at PASSIVE before a test, as the OSGi I/O manager loads a driver
        // bundle's before it gets devices; the MAD service chains promise operations at DISPATCH,
        // so the promise bundle's code too
        org.irpverbs.irp.CodePreloader.preload(IbalCore.class, org.irpverbs.ibal.Ibal.class,
                org.osgi.util.promise.Promise.class);
    }

    final HcaInterfaceBinding interfaces = new HcaInterfaceBinding();
    final HcaTestRig hcas = new HcaTestRig(interfaces);
    IbalBusDriver ibal;

    /** The {@code partitionKeys} of IBAL's configuration for the next {@link #startIbal()}. */
    String[] partitionKeys = {};

    /** IBAL's mode; in legacy mode the HCA drivers run their command interfaces in legacy (blocking) mode too. */
    final IbalMode mode;
    final TavorDriver tavor;
    final MemFreeDriver memFree;

    /** Installed on IBAL's worker threads when it starts (legacy mode only). */
    LegacyWorkers.Observer workObserver;

    /** A rig for IBAL in its default, queued mode. */
    IbalRig() {
        this(IbalMode.QUEUED);
    }

    IbalRig(IbalMode mode) {
        this.mode = mode;
        HcaDriverOptions options = mode == IbalMode.LEGACY
                ? HcaDriverOptions.parse("legacy", HcaDriverOptions.DEFAULT_TIMEOUT_MILLIS) : HcaDriverOptions.DEFAULTS;
        this.tavor = new TavorDriver(options);
        this.memFree = new MemFreeDriver(options);
    }

    /** The modes the IBAL test classes run in (JUnit parameters). */
    static List<Object[]> modes() {
        return List.of(new Object[] {IbalMode.QUEUED}, new Object[] {IbalMode.LEGACY});
    }

    IbalRig withTavorAndMemFree() {
        hcas.addDriver(tavor, TavorDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID);
        hcas.addDriver(memFree, MemFreeDriver.RANKING, HcaModel.MEMFREE_CAPABLE_ID);
        return this;
    }

    /** hca0 (MT23108, Tavor driver) and hca1 (MT25208, mem-free driver), two ports each, on the bus. */
    IbalRig twoHcas() {
        hcas.hca("hca0", HcaModel.MT23108, 1, 2);
        hcas.hca("hca1", HcaModel.MT25208, 3, 4);
        return this;
    }

    IbalRig startBus() {
        hcas.startBus();
        return this;
    }

    /** Starts IBAL (its bus driver, root-enumerated) and binds it to the HCA interfaces. */
    IbalRig startIbal() {
        ibal = new IbalBusDriver(hcas.io, IbalCore.Lifecycle.NONE, mode);
        if (workObserver != null) {
            ibal.core().legacyWorkers().observe(workObserver);
        }
        // as the component does with its configuration, before the driver is registered
        ibal.core().configurePartitionKeys(PartitionKeys.parse(partitionKeys));
        // as DS does: the HCA interfaces are bound when the component activates, before the I/O
        // manager has given the driver its device; IBAL holds them until its device starts
        interfaces.bind(ibal.core());
        IoManagers.addDriver(hcas.io, ibal, DriverRegistration.rootDriver());
        settle();
        return this;
    }

    /** Stops IBAL as its bundle stopping would: the interface bindings go, then the driver. */
    void stopIbal() {
        HcaTestRig.await(startStoppingIbal(), "removing IBAL");
        settle();
    }

    /** The start of {@link #stopIbal}: resolves when IBAL's driver and devices are removed. */
    org.osgi.util.promise.Promise<Void> startStoppingIbal() {
        interfaces.unbind();
        return IoManagers.removeDriver(hcas.io, ibal);
    }

    IbalCore core() {
        return ibal.core();
    }

    /**
     * Lets the chains started so far run out: the interface listener's work items, IBAL's serial
     * queue, the PnP manager's queue; three rounds, since each may queue work for the others.
     */
    void settle() {
        for (int round = 0; round < 3; round++) {
            CountDownLatch worker = new CountDownLatch(1);
            hcas.io.queueWorkItem(worker::countDown);
            try {
                if (!worker.await(LIVENESS_SECONDS, TimeUnit.SECONDS)) {
                    throw new AssertionError("the system worker hung");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
            if (ibal != null) {
                await(ibal.core().idle(), "IBAL's queue");
                LegacyWorkers workers = ibal.core().legacyWorkers();
                if (workers != null) {
                    // legacy mode: work hops to IBAL's own threads (a child's teardown on AL_OBJ, say),
                    // which the queues above do not see; a round trip through each drains it
                    for (LegacyWorkers.Role role : LegacyWorkers.Role.values()) {
                        await(workers.run(role, "settle", () -> java.util.concurrent.CompletableFuture.completedFuture(Boolean.TRUE),
                                Boolean.FALSE), "IBAL's " + role + " worker");
                    }
                }
            }
            hcas.idle();
        }
    }

    static <T> T await(java.util.concurrent.CompletionStage<T> stage, String what) {
        try {
            return stage.toCompletableFuture().get(LIVENESS_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(what + " hung (no completion within " + LIVENESS_SECONDS + " s)");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(what + " interrupted");
        }
    }

    /** Waits until {@code condition} holds (an outcome of hardware events), failing after the liveness bound. */
    static void eventually(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIVENESS_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not happen within " + LIVENESS_SECONDS + " s");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    /** The HCA objects IBAL's clients hold: the HCA's count less what IBAL's own MAD services hold. */
    int clientsInUse(String ca, String resource) {
        CiCa c = (CiCa) ca(ca);
        eventually(c::madServicesSettled, "IBAL's MAD services on " + ca + " started or stopped");
        return hcas.hcaDevice(ca).statistics().resources().get(resource).inUse() - c.madServicesHold(resource);
    }

    IbalCa ca(String name) {
        for (IbalCa ca : core().cas()) {
            if (ca.name().equals(name)) {
                return ca;
            }
        }
        throw new AssertionError("IBAL has no CA " + name + "; it has " + core().cas());
    }

    /** The live port children IBAL reported, as the PnP manager sees IBAL's bus relations. */
    List<IbalChild> children() {
        List<IbalChild> out = new ArrayList<>();
        for (DeviceObject d : hcas.io.devices()) {
            if (d.extension() instanceof IbalChild child && d.pnpState() != PnpState.DELETED) {
                out.add(child);
            }
        }
        return out;
    }

    IbalChild child(String ca, int port) {
        for (IbalChild c : children()) {
            if (c.caName().equals(ca) && c.portNumber() == port) {
                return c;
            }
        }
        return null;
    }

    void assertChildren(int expected) {
        assertEquals("port children: " + children(), expected, children().size());
    }

    void assertClean() {
        hcas.assertClean();
    }

    @Override
    public void close() {
        try {
            if (ibal != null && !ibal.core().isShutDown()) {
                stopIbal();
            }
        } finally {
            hcas.close();
        }
    }
}
