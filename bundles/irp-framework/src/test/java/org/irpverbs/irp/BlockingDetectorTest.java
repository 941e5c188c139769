package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** Blocking at DISPATCH is detected however it happens; blocking at PASSIVE is fine. */
public class BlockingDetectorTest {
    @Before
    public void failMode() {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
    }

    @After
    public void clean() {
        BlockingDetector.reset();
    }

    @Test
    public void sleepAtDispatchIsCaught() {
        ExecutionLevel.runAtDispatch("test span", () -> sleep(2));
        assertEquals(1, BlockingDetector.violationCount());
        assertEquals("test span", BlockingDetector.recentViolations().get(0).where());
    }

    @Test
    public void futureGetAtDispatchIsCaught() {
        // Once untimed, so that the classes of the waiting path are loaded: a wait that coincides
        // with class loading is counted apart (BlockingDetector.classLoadingWaits).
        joinAtDispatchAFutureCompletedLater();
        BlockingDetector.reset();
        joinAtDispatchAFutureCompletedLater();
        assertTrue(BlockingDetector.violationCount() >= 1);
    }

    private static void joinAtDispatchAFutureCompletedLater() {
        CompletableFuture<String> f = new CompletableFuture<>();
        new Thread(() -> {
            sleep(5);
            f.complete("x");
        }).start();
        ExecutionLevel.runAtDispatch("completion routine", f::join);
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
        sleep(20);
        lock.unlock();
        t.join();
        assertTrue(BlockingDetector.violationCount() >= 1);
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
            // Once untimed, so that the classes this path needs are loaded: a wait that coincides
            // with class loading is counted apart (BlockingDetector.classLoadingWaits), and whether
            // the first run loads any depends on which tests ran before in this JVM.
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
        assertTrue(BlockingDetector.loadingAClass(loading));
        assertFalse("a driver method named loadClass is not the JVM's", BlockingDetector.loadingAClass(lock));
    }
}
