package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.lang.management.ClassLoadingMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** Blocking at DISPATCH is detected however it happens; blocking at PASSIVE is fine. */
public class BlockingDetectorTest {
    private static final ClassLoadingMXBean CLASSES = ManagementFactory.getClassLoadingMXBean();

    @Before
    public void failMode() {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
    }

    @After
    public void clean() {
        BlockingDetector.pauseSampler(false);
        BlockingDetector.reset();
    }

    /**
     * Runs {@code body} at DISPATCH on a new thread while this thread holds {@code monitor}, and
     * lets go only once that thread is blocked on it: the contention happens however the two are
     * scheduled, and lasts only as long as this thread takes to see it (microseconds to a few ms).
     */
    private static void contendAtDispatch(Object monitor, Runnable body) throws InterruptedException {
        Thread dpc = new Thread(() -> ExecutionLevel.runAtDispatch("DPC", body), "dpc-contending");
        synchronized (monitor) {
            dpc.start();
            awaitState(dpc, Thread.State.BLOCKED);
        }
        dpc.join();
    }

    /**
     * Regression (IbalIT after an update of the IBAL bundle): a DPC met a contended monitor for a
     * few microseconds, too briefly for the sampler, and the span-exit check could only say that
     * it had. With the sampler out of the way, JFR's record of the entry now names the lock and
     * gives the stack where the thread waited.
     */
    @Test
    public void aBriefContendedLockAtDispatchIsReportedWithTheStackWhereItWaited() throws Exception {
        assertTrue("JFR attributes brief contention in this JVM", ContentionAttribution.active());
        BlockingDetector.pauseSampler(true);
        Object driversLock = new Object();
        contendAtDispatch(driversLock, () -> {
            synchronized (driversLock) {
                driversLock.hashCode();
            }
        });
        assertEquals(BlockingDetector.recentViolations().toString(), 1, BlockingDetector.violationCount());
        BlockingViolation v = BlockingDetector.recentViolations().get(0);
        assertEquals("DPC", v.where());
        assertTrue(v.what(), v.what().startsWith("met a contended lock on java.lang.Object for "));
        assertTrue("the stack shows the test's own frame: " + v, v.stack() != null && java.util.Arrays.stream(v.stack())
                .anyMatch(f -> f.getClassName().equals(BlockingDetectorTest.class.getName())));
    }

    /**
     * The other side: a DPC that meets a brief contention while the JVM loads a class for it (here
     * another thread holds the loader) is the JVM's page fault, excused as the sampler excuses a
     * long one, whichever of the two saw it.
     */
    @Test
    public void aBriefWaitForTheJvmToLoadCodeIsCountedApart() throws Exception {
        assertTrue("JFR attributes brief contention in this JVM", ContentionAttribution.active());
        BlockingDetector.pauseSampler(true);
        long excusedBefore = BlockingDetector.classLoadingWaits();
        OneClassLoader loader = new OneClassLoader(); // not parallel capable: loadClass locks the loader
        contendAtDispatch(loader, loader::defineTheClass);
        assertEquals(BlockingDetector.recentViolations().toString(), 0, BlockingDetector.violationCount());
        assertEquals(excusedBefore + 1, BlockingDetector.classLoadingWaits());
    }

    @Test
    public void sleepAtDispatchIsCaught() {
        ExecutionLevel.runAtDispatch("test span", () -> sleep(2));
        assertEquals(1, BlockingDetector.violationCount());
        assertEquals("test span", BlockingDetector.recentViolations().get(0).where());
    }

    @Test
    public void futureGetAtDispatchIsCaught() throws Exception {
        // The future is completed only once the DISPATCH thread is parked in join(): the wait
        // happens however late either thread is scheduled.
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread dispatcher = Thread.currentThread();
        Thread completer = new Thread(() -> {
            // join() pushes its waiter onto the future, then parks
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (f.getNumberOfDependents() == 0 && System.nanoTime() < deadline) {
                Thread.yield();
            }
            awaitState(dispatcher, Thread.State.WAITING);
            f.complete("x");
        });
        completer.start();
        ExecutionLevel.runAtDispatch("completion routine", f::join);
        completer.join();
        assertEquals(BlockingDetector.recentViolations().toString(), 1, BlockingDetector.violationCount());
        assertEquals("completion routine", BlockingDetector.recentViolations().get(0).where());
    }

    @Test
    public void contendedLockAtDispatchIsCaught() throws Exception {
        ReentrantLock lock = new ReentrantLock();
        lock.lock();
        Thread t = new Thread(() -> ExecutionLevel.runAtDispatch("DPC", () -> {
            lock.lock();
            lock.unlock();
        }));
        t.start();
        // released only once the DISPATCH thread is queued on the lock and parked
        while (!lock.hasQueuedThread(t)) {
            Thread.yield();
        }
        awaitState(t, Thread.State.WAITING);
        lock.unlock();
        t.join();
        assertEquals(BlockingDetector.recentViolations().toString(), 1, BlockingDetector.violationCount());
        assertEquals("DPC", BlockingDetector.recentViolations().get(0).where());
    }

    /**
     * Regression: a wait at DISPATCH was excused as class loading when any thread of the JVM
     * loaded a class during the span, so with a background thread defining classes most parks at
     * DISPATCH went unreported. Each span here parks until another thread has defined a class.
     */
    @Test
    public void waitsAtDispatchAreReportedWhileAnotherThreadLoadsClasses() throws Exception {
        int spans = 50;
        long excusedBefore = BlockingDetector.classLoadingWaits();
        Thread dispatcher = Thread.currentThread();
        Object parkedHere = new Object();
        AtomicBoolean loaded = new AtomicBoolean();
        java.util.concurrent.Semaphore spanStarted = new java.util.concurrent.Semaphore(0);
        Thread definer = new Thread(() -> {
            for (int i = 0; i < spans; i++) {
                spanStarted.acquireUninterruptibly();
                // define the class only once the DISPATCH thread is parked in its span
                awaitParkedOn(dispatcher, parkedHere);
                new OneClassLoader().defineTheClass();
                loaded.set(true);
                LockSupport.unpark(dispatcher);
            }
        }, "class-definer");
        definer.start();
        for (int i = 0; i < spans; i++) {
            loaded.set(false);
            spanStarted.release();
            long classesBefore = CLASSES.getTotalLoadedClassCount();
            ExecutionLevel.runAtDispatch("DPC", () -> {
                while (!loaded.get()) {
                    LockSupport.park(parkedHere);
                }
            });
            assertTrue("a class was loaded during the span", CLASSES.getTotalLoadedClassCount() > classesBefore);
        }
        definer.join();
        assertEquals("spans excused as class loading: " + (BlockingDetector.classLoadingWaits() - excusedBefore), spans, BlockingDetector.violationCount());
        assertEquals(excusedBefore, BlockingDetector.classLoadingWaits());
    }

    /**
     * The excuse that stays: a DISPATCH thread that itself waits inside {@code ClassLoader.loadClass}
     * (another thread holds the loader's lock) is counted as a class-loading wait, not a violation,
     * whether the sampler or the span-exit check sees it.
     */
    @Test
    public void aDispatchThreadWaitingInsideLoadClassIsCountedApart() throws Exception {
        long excusedBefore = BlockingDetector.classLoadingWaits();
        OneClassLoader loader = new OneClassLoader();
        Thread dpc = new Thread(() -> ExecutionLevel.runAtDispatch("DPC", () -> {
            try {
                loader.loadClass(OneClassLoader.NAME);
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
        }), "dpc-loading");
        synchronized (loader) { // a loader that is not parallel capable locks itself in loadClass
            dpc.start();
            awaitState(dpc, Thread.State.BLOCKED);
            // held until the sampler has seen the thread blocked in loadClass
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (BlockingDetector.classLoadingWaits() == excusedBefore && System.nanoTime() < deadline) {
                sleep(1);
            }
        }
        dpc.join();
        assertEquals(BlockingDetector.recentViolations().toString(), 0, BlockingDetector.violationCount());
        assertEquals(excusedBefore + 1, BlockingDetector.classLoadingWaits());
    }

    /** Defines {@link Loadable} anew in a fresh loader, so each instance adds one loaded class to the JVM. */
    private static final class OneClassLoader extends ClassLoader {
        static final String NAME = Loadable.class.getName();
        private static final byte[] BYTES = bytesOf(Loadable.class);

        OneClassLoader() {
            super(null);
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            if (!name.equals(NAME)) {
                throw new ClassNotFoundException(name);
            }
            return defineClass(name, BYTES, 0, BYTES.length);
        }

        void defineTheClass() {
            try {
                loadClass(NAME);
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
        }

        private static byte[] bytesOf(Class<?> c) {
            try (java.io.InputStream in = c.getResourceAsStream(c.getName().substring(c.getName().lastIndexOf('.') + 1)
                    + ".class")) {
                return in.readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    /** The class the test loaders define. */
    static final class Loadable {}

    /** Waits (at PASSIVE, bounded by a generous liveness limit) until {@code t} is in {@code state}. */
    private static void awaitState(Thread t, Thread.State state) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.getState() != state) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(t.getName() + " never became " + state + "; it is " + t.getState());
            }
            Thread.yield();
        }
    }

    /** Waits until {@code t} is parked with {@code blocker}: it will stay parked until unparked. */
    private static void awaitParkedOn(Thread t, Object blocker) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (LockSupport.getBlocker(t) != blocker || t.getState() != Thread.State.WAITING) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(t.getName() + " never parked on " + blocker);
            }
            Thread.yield();
        }
    }

    @Test
    public void completionRoutineThatSleepsIsCaught() {
        IoManager io = IoManagers.create("blocking", 1, null);
        try {
            DeviceObject pdo = TestStacks.stack(io, TestStacks.completingDriver("bottom", TestStacks.trace()),
                    DriverObject.builder("sleepy").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
                        irp.copyCurrentToNext();
                        irp.setCompletionRoutine((self, r, c) -> {
                            sleep(2);
                            return CompletionRoutine.CONTINUE_COMPLETION;
                        }, null);
                        return d.lowerDevice().callDriver(irp);
                    }).build());
            // Once untimed, so that this thread has loaded the classes of the path: its own wait
            // inside a class loader would be counted apart (BlockingDetector.classLoadingWaits),
            // and whether the first run loads any depends on which tests ran before in this JVM.
            io.send(pdo, TestStacks.internal(pdo, TestStacks.ECHO));
            BlockingDetector.reset();
            io.send(pdo, TestStacks.internal(pdo, TestStacks.ECHO));
            assertEquals(1, BlockingDetector.violationCount());
            assertEquals("completion", BlockingDetector.recentViolations().get(0).where());
        } finally {
            IoManagers.shutdown(io);
        }
    }

    @Test
    public void explicitCheckReportsWithTheStack() {
        assertTrue(BlockingDetector.checkMayBlock("at passive"));
        ExecutionLevel.runAtDispatch("span", () -> assertFalse(BlockingDetector.checkMayBlock("RemoveLock.awaitDrained")));
        assertEquals(1, BlockingDetector.violationCount());
        BlockingViolation v = BlockingDetector.recentViolations().get(0);
        assertTrue(v.what().contains("RemoveLock.awaitDrained"));
        assertTrue(v.stack().length > 0);
    }

    @Test
    public void blockingAtPassiveIsFine() {
        sleep(2);
        ExecutionLevel.runAtDispatch("short", () -> { });
        assertEquals(0, BlockingDetector.violationCount());
    }

    @Test
    public void levelsNest() {
        assertEquals(ExecutionLevel.PASSIVE, ExecutionLevel.current());
        ExecutionLevel outer = ExecutionLevel.raise();
        ExecutionLevel inner = ExecutionLevel.raise();
        assertEquals(ExecutionLevel.DISPATCH, inner);
        ExecutionLevel.lower(inner);
        assertEquals(ExecutionLevel.DISPATCH, ExecutionLevel.current());
        ExecutionLevel.lower(outer);
        assertEquals(ExecutionLevel.PASSIVE, ExecutionLevel.current());
    }

    @Test
    public void badModeNamesTheAcceptedValues() {
        try {
            BlockingDetector.parseMode("sometimes");
            throw new AssertionError("accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("off, report, fail"));
        }
        assertEquals(BlockingDetector.Mode.REPORT, BlockingDetector.parseMode(null));
        assertEquals(BlockingDetector.Mode.OFF, BlockingDetector.parseMode(" Off "));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The sampler tells a DPC waiting for the JVM to load a class (another thread holds the class
     * loader) from a driver's own wait: the first is counted apart, like a class-loading wait seen
     * at span exit; a test JVM without the I/O manager's preloading hits it now and then.
     */
    @Test
    public void samplerTellsClassLoadingFromADriversWait() {
        StackTraceElement[] loading = {
            new StackTraceElement("java.util.zip.ZipFile", "getEntry", "ZipFile.java", 337),
            new StackTraceElement("jdk.internal.loader.BuiltinClassLoader", "loadClass", "BuiltinClassLoader.java", 639),
            new StackTraceElement("java.lang.ClassLoader", "loadClass", "ClassLoader.java", 525),
            new StackTraceElement("org.example.Driver", "completion", "Driver.java", 10)};
        StackTraceElement[] lock = {
            new StackTraceElement("jdk.internal.misc.Unsafe", "park", "Unsafe.java", -2),
            new StackTraceElement("java.util.concurrent.locks.ReentrantLock", "lock", "ReentrantLock.java", 322),
            new StackTraceElement("org.example.Driver", "loadClass", "Driver.java", 12)};
        StackTraceElement[] linking = {
            new StackTraceElement("jdk.internal.ref.PhantomCleanable", "insert", "PhantomCleanable.java", 87),
            new StackTraceElement("java.lang.invoke.LambdaMetafactory", "metafactory", "LambdaMetafactory.java", 341),
            new StackTraceElement("java.lang.invoke.BootstrapMethodInvoker", "invoke", "BootstrapMethodInvoker.java", 134),
            new StackTraceElement("java.lang.invoke.MethodHandleNatives", "linkCallSite", "MethodHandleNatives.java", 267),
            new StackTraceElement("org.example.Driver", "completion", "Driver.java", 10)};
        assertTrue(BlockingDetector.loadingCode(loading));
        assertTrue("linking a lambda's call site is the JVM loading code", BlockingDetector.loadingCode(linking));
        assertFalse("a driver method named loadClass is not the JVM's", BlockingDetector.loadingCode(lock));
    }
}
