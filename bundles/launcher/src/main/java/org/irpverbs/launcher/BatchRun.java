package org.irpverbs.launcher;

import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.apache.felix.service.command.Job;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoManager;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.cm.ManagedService;
import sun.misc.Signal;

/**
 * {@code bin/irpverbs -c '<command>'}: runs the command once, when what is configured has been
 * processed, prints its output and result, and stops the framework; {@code bin/irpverbs} turns
 * the status file into its exit status.
 * <pre>
 *   framework STARTED (every start level; FileInstall, at level 4, has done its first scan of load/)
 *   → load/ taken up: each bundle jar active, each .cfg a configuration     ({@link LoadFolder})
 *   → ConfigAdmin barrier: a ManagedService registered now is called after every update queued
 *     before it (Felix ConfigAdmin delivers all updates in order on one thread)
 *   → PnP settled: the I/O manager's system worker and PnP queue drained, repeated until a round
 *     leaves the device tree as it found it (a replaced HCA comes back one enumeration later)
 *   → the command, in a Gogo session on this thread's streams (stdout, stderr)
 * </pre>
 * Each wait has one deadline, {@value #START_TIMEOUT} seconds after the bundle started (default
 * 60); missing it prints what was still awaited and exits with 1. Ctrl-C (SIGINT) interrupts the
 * command's Gogo job (its threads are interrupted; the command releases what it made and says so)
 * or the wait, then the framework stops and the exit status is 130 (143 if the framework was
 * stopped under the run, by SIGTERM for one). A command that does not
 * return within {@value #GRACE_SECONDS} s of the interrupt, or a framework that does not stop
 * within that time, is abandoned with a message and the JVM halts.
 *
 * <p>Thread-safe: one batch thread; the signal handler and framework callbacks only set flags,
 * notify and interrupt.
 */
final class BatchRun implements Runnable, FrameworkListener, BundleListener, ConfigurationListener {
    static final String COMMAND = "irpverbs.batch.command";
    static final String STATUS = "irpverbs.batch.status";
    static final String STARTED = "irpverbs.batch.started";
    static final String START_TIMEOUT = "irpverbs.batch.startTimeout";
    static final int INTERRUPTED_STATUS = 130;
    static final int TERMINATED_STATUS = 143;
    static final long GRACE_SECONDS = 30;

    private final BundleContext context;
    private final String command;
    private final Path statusFile;
    private final Path startedFile;
    private final long timeoutSeconds;
    private final long deadline;
    private final PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    private final PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    /** Notified whenever something the waits look at may have changed. */
    private final Object changed = new Object();
    private final AtomicBoolean interrupted = new AtomicBoolean();
    private final AtomicBoolean finished = new AtomicBoolean();
    /** The framework is stopping under the run (SIGTERM, or bundle 0 stopped): nothing left to stop. */
    private volatile boolean frameworkStopping;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private volatile boolean frameworkStarted;
    private volatile Thread thread;
    private volatile CommandSession session;

    /** Thrown by a wait that missed the deadline: what it still awaited. */
    private static final class NotReady extends Exception {
        NotReady(String message) {
            super(message);
        }
    }

    BatchRun(BundleContext context, String command) {
        this.context = context;
        this.command = command;
        this.statusFile = path(context.getProperty(STATUS));
        this.startedFile = path(context.getProperty(STARTED));
        this.timeoutSeconds = timeout(context.getProperty(START_TIMEOUT), err);
        this.deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    }

    private static Path path(String value) {
        return value == null || value.isBlank() ? null : Path.of(value);
    }

    private static long timeout(String value, PrintStream err) {
        if (value == null || value.isBlank()) {
            return 60;
        }
        try {
            long seconds = Long.parseLong(value.trim());
            if (seconds >= 1 && seconds <= 86_400) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        err.println("irpverbs: the start-up timeout must be 1..86400 seconds, was '" + value + "'; using 60");
        return 60;
    }

    /** Called from the bundle's start: listens, then starts the batch thread. */
    void start() {
        context.addFrameworkListener(this);
        context.addBundleListener(this);
        registrations.add(context.registerService(ConfigurationListener.class, this, null));
        Thread t = new Thread(this, "irpverbs -c");
        thread = t;
        t.start();
    }

    /** Called from the bundle's stop (the framework is stopping): the batch thread is told to end. */
    void stop() {
        context.removeFrameworkListener(this);
        context.removeBundleListener(this);
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // already gone with the bundle
            }
        }
        frameworkStopping = true;
        if (!finished.get()) {
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
        }
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        if (event.getType() == FrameworkEvent.STARTED) {
            frameworkStarted = true;
            wake();
        }
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        wake();
    }

    @Override
    public void configurationEvent(ConfigurationEvent event) {
        wake();
    }

    private void wake() {
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    @Override
    public void run() {
        int status;
        try {
            status = runCommand();
        } catch (InterruptedException e) {
            if (interrupted.get()) {
                err.println("irpverbs: interrupted before the command ran");
                status = INTERRUPTED_STATUS;
            } else {
                err.println("irpverbs: the framework was stopped (SIGTERM?) before the command ran");
                status = TERMINATED_STATUS;
            }
        } catch (NotReady e) {
            err.println("irpverbs: the system was not ready within " + timeoutSeconds + " s (" + START_TIMEOUT
                    + "; bin/irpverbs: IRPVERBS_START_TIMEOUT): " + e.getMessage());
            status = 1;
        } catch (RuntimeException | IOException e) {
            err.println("irpverbs: " + Messages.describe(e));
            status = 1;
        }
        finish(status);
    }

    private int runCommand() throws InterruptedException, NotReady, IOException {
        await("the framework to start", () -> frameworkStarted || context.getBundle(0).getState() == Bundle.ACTIVE
                ? List.of() : List.of("start level " + context.getProperty(Constants.FRAMEWORK_BEGINNING_STARTLEVEL)));
        // after the shell's terminal took the signal (gogo.jline ignores SIGINT when not interactive)
        try {
            Signal.handle(new Signal("INT"), s -> interrupt());
        } catch (IllegalArgumentException e) {
            err.println("irpverbs: Ctrl-C cannot stop this run (" + Messages.describe(e) + ")");
        }
        LoadFolder load = new LoadFolder(new File(property("felix.fileinstall.dir", "load")));
        for (String notBundle : load.notBundles()) {
            err.println("irpverbs: not waiting for load/ entry " + notBundle);
        }
        await("load/ to be taken up", () -> load.pending(context, service(ConfigurationAdmin.class)));
        configAdminBarrier();
        settlePnp();
        if (interrupted.get()) {
            throw new InterruptedException();
        }
        CommandProcessor processor = service(CommandProcessor.class);
        if (processor == null) {
            err.println("irpverbs: the Gogo runtime is not running; no command can run");
            return 1;
        }
        CommandSession s = processor.createSession(new FileInputStream(FileDescriptor.in), out, err);
        session = s;
        try {
            // the shell's set-up (SCOPE, context and system commands), as the interactive shell has it
            s.execute("source etc/gosh_profile");
        } catch (Exception e) {
            err.println("irpverbs: etc/gosh_profile failed: " + Messages.describe(e));
        }
        if (startedFile != null) {
            Files.writeString(startedFile, "started\n");
        }
        try {
            Object result = s.execute(command);
            if (result != null) {
                out.println(s.format(result, Converter.INSPECT));
            }
            out.flush();
            return interrupted.get() ? INTERRUPTED_STATUS : 0;
        } catch (Exception e) {
            out.flush();
            if (interrupted.get()) {
                // the command's own line says what it did when interrupted; a bare interruption says nothing
                err.println("irpverbs: " + (Messages.isBareInterruption(e) ? "interrupted" : Messages.describe(e)));
                return INTERRUPTED_STATUS;
            }
            if (frameworkStopping) {
                err.println("irpverbs: the framework was stopped (SIGTERM?) while the command ran");
                return TERMINATED_STATUS;
            }
            err.println("irpverbs: " + Messages.describe(e));
            return 1;
        } finally {
            s.close();
        }
    }

    private String property(String name, String otherwise) {
        String value = context.getProperty(name);
        return value == null || value.isBlank() ? otherwise : value.trim();
    }

    private <T> T service(Class<T> type) {
        ServiceReference<T> ref = context.getServiceReference(type);
        return ref == null ? null : context.getService(ref);
    }

    /** What a wait still awaits; empty when it is done. */
    private interface Pending {
        List<String> get() throws IOException;
    }

    /**
     * Waits until nothing is pending, re-checking whenever a framework, bundle or configuration event
     * arrives, and at least every half second for what sends no event (a bundle's state as
     * FileInstall retries it).
     */
    private void await(String what, Pending pending) throws InterruptedException, NotReady, IOException {
        while (true) {
            List<String> left = pending.get();
            if (left.isEmpty()) {
                return;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new NotReady("waiting for " + what + ": " + String.join("; ", left));
            }
            synchronized (changed) {
                TimeUnit.NANOSECONDS.timedWait(changed, Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(500)));
            }
        }
    }

    private void await(CountDownLatch latch, String what) throws InterruptedException, NotReady {
        if (!latch.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            throw new NotReady("waiting for " + what);
        }
    }

    /** Returns once ConfigAdmin has delivered every update queued before this call. */
    private void configAdminBarrier() throws InterruptedException, NotReady {
        if (context.getServiceReference(ConfigurationAdmin.class) == null) {
            return;
        }
        CountDownLatch delivered = new CountDownLatch(1);
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(Constants.SERVICE_PID, "org.irpverbs.launcher.barrier." + UUID.randomUUID());
        ManagedService barrier = configuration -> delivered.countDown();
        ServiceRegistration<ManagedService> registration = context.registerService(ManagedService.class, barrier, properties);
        try {
            await(delivered, "ConfigAdmin to deliver the configurations from load/");
        } finally {
            registration.unregister();
        }
    }

    /** Drains the I/O manager's system worker and PnP queue until a round changes nothing. */
    private void settlePnp() throws InterruptedException, NotReady {
        IoManager io = service(IoManager.class);
        if (io == null) {
            return;
        }
        String before = deviceTree(io);
        while (true) {
            CountDownLatch worker = new CountDownLatch(1);
            io.queueWorkItem(worker::countDown);
            await(worker, "the I/O manager's system worker");
            CountDownLatch pnp = new CountDownLatch(1);
            io.pnpIdle().onResolve(pnp::countDown);
            await(pnp, "PnP (device enumeration and driver start-up)");
            String after = deviceTree(io);
            if (after.equals(before)) {
                return;
            }
            before = after;
        }
    }

    private static String deviceTree(IoManager io) {
        StringBuilder tree = new StringBuilder();
        for (DeviceObject d : io.devices()) {
            tree.append(d.name()).append(' ').append(d.pnpState()).append(' ')
                    .append(d.attachedDevice() == null ? "-" : d.attachedDevice().name()).append('\n');
        }
        return tree.toString();
    }

    /** SIGINT (the JVM's signal thread): interrupt the command's job, or the wait before it. Once. */
    private void interrupt() {
        if (!interrupted.compareAndSet(false, true)) {
            return;
        }
        CommandSession s = session;
        Job job = s == null ? null : s.foregroundJob();
        if (job != null) {
            job.interrupt();
        } else {
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
        }
        Thread grace = new Thread(() -> {
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(GRACE_SECONDS));
            } catch (InterruptedException e) {
                return;
            }
            if (!finished.get()) {
                err.println("irpverbs: the command did not stop within " + GRACE_SECONDS + " s of Ctrl-C; stopping");
                finish(INTERRUPTED_STATUS);
            }
        }, "irpverbs -c interrupt deadline");
        grace.setDaemon(true);
        grace.start();
    }

    /** Writes the status, then stops the framework; halts the JVM if the stop does not end in time. Once. */
    private void finish(int status) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        out.flush();
        if (statusFile != null) {
            try {
                Files.writeString(statusFile, status + "\n");
            } catch (IOException e) {
                err.println("irpverbs: cannot write the status file " + statusFile + ": " + Messages.describe(e));
            }
        }
        Thread halt = new Thread(() -> {
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(GRACE_SECONDS));
            } catch (InterruptedException e) {
                return;
            }
            err.println("irpverbs: the framework did not stop within " + GRACE_SECONDS + " s; exiting");
            Runtime.getRuntime().halt(status);
        }, "irpverbs -c stop deadline");
        halt.setDaemon(true);
        halt.start();
        if (frameworkStopping) {
            return;
        }
        try {
            context.getBundle(0).stop();
        } catch (Exception e) {
            err.println("irpverbs: cannot stop the framework: " + Messages.describe(e));
            Runtime.getRuntime().halt(status);
        }
    }
}
