package org.irpverbs.sample.echo.driver;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverRegistration;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.ExecutionLevel;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.sample.echo.bus.EchoChildExtension;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The echo stack as a fresh bundle revision sees it: both drivers' classes in a new class loader,
 * loaded and initialised beforehand as the framework's {@code IoManagerComponent.loadDriverCode}
 * does, then requests through every path that runs at DISPATCH (completion routine, latency timer,
 * cancel).
 *
 * <p>Why: the JVM resolves a class's references lazily, the first time the code runs. A reference
 * the fresh loader has not resolved yet is an up-call to its {@code loadClass}; for a JDK class a
 * bundle loader delegates to the platform loader, which takes a per-name monitor. Two completion
 * threads running new code at once meet on that monitor, and the blocking detector reports it
 * ("the thread waited, slept, parked or met a contended lock 1 time(s)") without its class-loading
 * excuse, because no class gets loaded: that is the HotUpdateIT failure after an update of
 * sample-echo-driver, whose completion routine created its first {@code HashMap} at DISPATCH.
 * A lambda created at DISPATCH is the same hazard, worse: its call site is linked and its class
 * spun right there. So this test records every {@code loadClass} the fresh loader gets while the
 * calling thread is at DISPATCH; none may come once the stack is built. (Building it is not
 * covered: the PnP manager runs {@code AddDevice} at DISPATCH, which is the framework's to fix.)
 */
public class FreshRevisionClassLoadingTest {
    private static final long DELAY = TimeUnit.MILLISECONDS.toNanos(5);

    private IoManager io;
    private RevisionLoader revision;
    private Driver bus;
    private Driver function;

    @Before
    public void setUp() throws Exception {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
        DriverVerifier.reset();
        revision = new RevisionLoader(FreshRevisionClassLoadingTest.class.getClassLoader());
        revision.preload(classesFolder(SampleEchoFunctionDriver.class));
        revision.preload(classesFolder(EchoChildExtension.class));
        io = IoManagers.create("fresh-revision-test", 2, null);
        function = revision.newDriver(SampleEchoFunctionDriver.class.getName());
        IoManagers.addDriver(io, function, DriverRegistration.function(0, SampleEchoFunctionDriver.HARDWARE_ID));
        bus = revision.newDriver("org.irpverbs.sample.echo.bus.SampleEchoBusDriver");
        IoManagers.addDriver(io, bus, DriverRegistration.rootDriver());
        io.pnpIdle().getValue();
    }

    @After
    public void tearDown() throws Exception {
        IoManagers.removeDriver(io, bus).getValue();
        IoManagers.removeDriver(io, function).getValue();
        IoManagers.shutdown(io);
    }

    @Test
    public void aFreshRevisionsCompletionTimerAndCancelPathsResolveNoClassAtDispatch() throws Exception {
        DeviceObject fdo = io.device("SampleEchoFunction0");
        assertTrue("the function device comes from the fresh revision",
                fdo.extension().getClass().getClassLoader() == revision);
        revision.loadsAtDispatch.clear();

        // completion routine inline on this thread (immediate echo), then from the latency timer's DPC
        assertEquals(NtStatus.SUCCESS, echo(fdo, null).status());
        assertEquals(NtStatus.SUCCESS, echo(fdo, DELAY).status());
        // a cancel: the queue's cancel routine, a new status in the completion routine's counters
        Irp waiting = delayedEcho(fdo, TimeUnit.SECONDS.toNanos(30));
        var cancelled = io.submit(fdo, waiting);
        assertTrue("the request waits for its latency timer", waiting.cancel());
        assertEquals(NtStatus.CANCELLED, cancelled.getValue().status());

        assertEquals("classes resolved at DISPATCH by the fresh revision", List.of(), revision.loadsAtDispatch);
        assertEquals("blocking at DISPATCH: " + BlockingDetector.recentViolations(), 0, BlockingDetector.violationCount());
        assertEquals("driver bugs: " + DriverVerifier.recentBugs(), 0, DriverVerifier.bugCount());
    }

    private org.irpverbs.irp.IoResult echo(DeviceObject fdo, Long delay) throws Exception {
        return io.internalDeviceControl(fdo, SampleEchoFunctionDriver.IOCTL_ECHO, delay, ByteBuffer.wrap(new byte[] {7}),
                ByteBuffer.allocate(1)).getValue();
    }

    private static Irp delayedEcho(DeviceObject fdo, long delayNanos) {
        Irp irp = Irp.forDevice(fdo);
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL)
                .setIoControlCode(SampleEchoFunctionDriver.IOCTL_ECHO).setArgument(delayNanos)
                .setInputBuffer(ByteBuffer.wrap(new byte[] {1})).setOutputBuffer(ByteBuffer.allocate(1));
        return irp;
    }

    private static Path classesFolder(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /**
     * A bundle revision's class loader in miniature: defines the sample drivers' classes itself
     * (child first), delegates everything else to the test's loader, and records each
     * {@code loadClass} call made on a thread at DISPATCH. The JVM calls {@code loadClass} only for
     * a name this loader has not resolved before, so a record is a first use at DISPATCH.
     */
    private static final class RevisionLoader extends ClassLoader {
        private static final String OWN = "org.irpverbs.sample.echo.";

        static {
            registerAsParallelCapable();
        }

        final List<String> loadsAtDispatch = new CopyOnWriteArrayList<>();

        RevisionLoader(ClassLoader parent) {
            super("fresh-echo-revision", parent);
        }

        /** Loads and initialises every class under {@code folder}, as loadDriverCode does for a bundle. */
        void preload(Path folder) throws IOException {
            try (Stream<Path> files = Files.walk(folder)) {
                for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                    String relative = folder.relativize(file).toString();
                    String name = relative.substring(0, relative.length() - ".class".length()).replace('/', '.');
                    if (!name.endsWith("package-info")) {
                        Class.forName(name, true, this);
                    }
                }
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }

        Driver newDriver(String className) throws ReflectiveOperationException {
            return (Driver) Class.forName(className, true, this).getDeclaredConstructor().newInstance();
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (ExecutionLevel.atDispatch()) {
                loadsAtDispatch.add(name);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    c = name.startsWith(OWN) && !name.contains("Test") ? define(name) : getParent().loadClass(name);
                }
                return c;
            }
        }

        private Class<?> define(String name) throws ClassNotFoundException {
            try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                if (in == null) {
                    throw new ClassNotFoundException(name);
                }
                byte[] bytes = in.readAllBytes();
                return defineClass(name, bytes, 0, bytes.length);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
