package org.irpverbs.irp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.lang.ref.WeakReference;

/**
 * One thread's execution level and, in {@link BlockingDetector.Mode#FAIL} mode, the JVM's
 * wait/block counters for that thread taken when it entered DISPATCH. The JVM counts every
 * {@code Thread.sleep}, {@code Object.wait}, {@code LockSupport.park} (which every
 * java.util.concurrent lock, queue and future uses) and contended monitor entry; if the counters
 * moved while the thread was at DISPATCH, it blocked there. Reading them needs no safepoint.
 */
final class LevelState {
    private static final ThreadLocal<LevelState> CURRENT = ThreadLocal.withInitial(LevelState::new);
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final java.lang.management.ClassLoadingMXBean CLASSES = ManagementFactory.getClassLoadingMXBean();
    private static final VarHandle SPANS;

    static {
        try {
            SPANS = MethodHandles.lookup().findVarHandle(LevelState.class, "spans", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Written and read only by the owning thread (other threads look at {@link #spans}). */
    ExecutionLevel level = ExecutionLevel.PASSIVE;
    /**
     * Odd while the thread is in a DISPATCH span, incremented on entry and on exit (single
     * writer). The sampler reads it before and after looking at the thread: the same odd value
     * both times means the thread was blocked inside one span, not between two.
     */
    private long spans;
    final WeakReference<Thread> thread;
    final long threadId;
    String span;
    private long countersAtRaise;
    private long classesAtRaise;
    /** Set by the sampler when it already reported this span, so the exit check does not repeat it. */
    volatile boolean sampledInSpan;
    /**
     * The request whose completion routine this thread is running, and whether it completed again
     * on this thread meanwhile (a synchronous retry); {@link Irp} uses them to unwind a retry
     * iteratively instead of recursing. Owner thread only.
     */
    Irp routineRequest;
    boolean routineRequestCompleted;

    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+; we build for 17
    private LevelState() {
        Thread t = Thread.currentThread();
        this.thread = new WeakReference<>(t);
        this.threadId = t.getId();
        BlockingDetector.register(this);
    }

    static LevelState get() {
        return CURRENT.get();
    }

    ExecutionLevel raise(String spanName) {
        ExecutionLevel previous = level;
        if (previous == ExecutionLevel.PASSIVE) {
            span = spanName;
            if (sampledInSpan) {
                sampledInSpan = false;
            }
            if (BlockingDetector.countsSpans()) {
                countersAtRaise = waitCounters();
                classesAtRaise = CLASSES.getTotalLoadedClassCount();
            }
            SPANS.setRelease(this, spans + 1);
            level = ExecutionLevel.DISPATCH;
        }
        return previous;
    }

    void lower(ExecutionLevel previous) {
        if (previous == ExecutionLevel.PASSIVE && level == ExecutionLevel.DISPATCH) {
            if (BlockingDetector.countsSpans()) {
                long now = waitCounters();
                if (now != countersAtRaise && !sampledInSpan) { // a span the sampler reported is not counted again
                    if (CLASSES.getTotalLoadedClassCount() != classesAtRaise) {
                        // The JVM loaded classes meanwhile: a thread that first runs a code path loads
                        // its classes, and two threads loading through one class loader wait for each
                        // other. That is the JVM's page fault, not the driver's wait; it is counted
                        // apart (drivers preload their code: IoManagerComponent.loadDriverCode).
                        BlockingDetector.classLoadingWait();
                    } else {
                        BlockingDetector.report(new BlockingViolation(threadName(), span == null ? "DISPATCH span" : span,
                                "the thread waited, slept, parked or met a contended lock "
                                        + (now - countersAtRaise) + " time(s) while at DISPATCH",
                                null));
                    }
                }
            }
            level = ExecutionLevel.PASSIVE;
            SPANS.setRelease(this, spans + 1);
            span = null;
        }
    }

    long spansAcquire() {
        return (long) SPANS.getAcquire(this);
    }

    String threadName() {
        Thread t = thread.get();
        return t == null ? "thread-" + threadId : t.getName();
    }

    private long waitCounters() {
        ThreadInfo info = THREADS.getThreadInfo(threadId);
        return info == null ? 0 : info.getWaitedCount() + info.getBlockedCount();
    }
}
