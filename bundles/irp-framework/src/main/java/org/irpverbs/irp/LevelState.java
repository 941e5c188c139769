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
    private static final VarHandle SPANS;
    private static final VarHandle CLAIMED;
    private static final VarHandle PUBLISHED;

    static {
        try {
            SPANS = MethodHandles.lookup().findVarHandle(LevelState.class, "spans", long.class);
            CLAIMED = MethodHandles.lookup().findVarHandle(LevelState.class, "claimedSpan", long.class);
            PUBLISHED = MethodHandles.lookup().findVarHandle(LevelState.class, "publishedSpan", long.class);
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
    private long waitsAtRaise;
    private long contendedEntriesAtRaise;
    /** The counters {@link #readWaitCounters()} read last (owner thread only, so nothing is allocated). */
    private long waitsRead;
    private long contendedEntriesRead;
    /** The span's begun JFR event while {@link ContentionAttribution} runs, else null (owner thread only). */
    private Object spanEvent;
    /**
     * The span (a value of {@link #spans}) whose blocking has been dealt with: reported by the
     * sampler or an explicit check, or counted as a class-loading wait. Whoever moves it to the
     * current span first (a compare-and-set) speaks for the span, so the sampler and the exit
     * check never both report one wait, and a class-loading wait the sampler saw is not reported
     * at exit.
     */
    private volatile long claimedSpan;
    /** The last span whose claimant has counted what it found (the exit check waits for it). */
    private volatile long publishedSpan;
    /**
     * The request whose completion routine this thread is running, and whether it completed again
     * on this thread meanwhile (a synchronous retry); {@link Irp} uses them to unwind a retry
     * iteratively instead of recursing. Owner thread only.
     */
    Irp routineRequest;
    boolean routineRequestCompleted;
    /**
     * How deeply {@link LockFreePromise} callbacks run inline on this thread are nested (a chain of
     * promises resolving each other); past its bound they are queued as DPCs. Owner thread only.
     */
    int promiseCallbackDepth;

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
            if (BlockingDetector.countsSpans()) {
                spanEvent = ContentionAttribution.beginSpan();
                readWaitCounters();
                waitsAtRaise = waitsRead;
                contendedEntriesAtRaise = contendedEntriesRead;
            }
            SPANS.setRelease(this, spans + 1);
            level = ExecutionLevel.DISPATCH;
        }
        return previous;
    }

    void lower(ExecutionLevel previous) {
        if (previous == ExecutionLevel.PASSIVE && level == ExecutionLevel.DISPATCH) {
            if (BlockingDetector.countsSpans()) {
                readWaitCounters();
                long waits = waitsRead - waitsAtRaise;
                long contendedEntries = contendedEntriesRead - contendedEntriesAtRaise;
                // Only the sampler can tell a wait inside the JVM's class loading (it sees the
                // thread's stack in loadClass) from a driver's wait, and it claims such a span.
                // Any other thread's class loading says nothing about this thread's wait. A span
                // that only met contended monitors, too briefly for the sampler, gets its verdict
                // from JFR's record of those entries where it runs (ContentionAttribution).
                if (waits + contendedEntries != 0) {
                    if (claim(spans)) {
                        String where = span == null ? "DISPATCH span" : span;
                        if (waits == 0 && spanEvent != null) {
                            ContentionAttribution.defer(spanEvent, threadId, spans, contendedEntries, threadName(), where);
                        } else {
                            BlockingDetector.report(new BlockingViolation(threadName(), where,
                                    (waits == 0 ? "" : "the thread waited, slept or parked " + waits + " time(s)")
                                            + (waits != 0 && contendedEntries != 0 ? " and " : "")
                                            + (contendedEntries == 0 ? "" : (waits == 0 ? "the thread " : "")
                                                    + "met a contended lock " + contendedEntries + " time(s)")
                                            + " while at DISPATCH",
                                    null));
                        }
                        published(spans);
                    } else {
                        awaitPublished(spans);
                    }
                }
                spanEvent = null;
            }
            level = ExecutionLevel.PASSIVE;
            SPANS.setRelease(this, spans + 1);
            span = null;
        }
    }

    /**
     * Claims {@code span} (an odd value of {@link #spans}) for one report; false if the sampler,
     * an explicit check or the exit check already did. Called by the owning thread and the sampler.
     */
    boolean claim(long span) {
        long seen;
        // monotonic: a sampler that looked at an older span never takes over a newer claim
        while ((seen = claimedSpan) < span) {
            if (CLAIMED.compareAndSet(this, seen, span)) {
                return true;
            }
        }
        return false;
    }

    /** The claimant of {@code span} has counted its finding. */
    void published(long span) {
        long seen;
        while ((seen = publishedSpan) < span && !PUBLISHED.compareAndSet(this, seen, span)) {
            Thread.onSpinWait();
        }
    }

    /**
     * Waits until whoever claimed {@code span} (the sampler, between its claim and its count) has
     * counted what it found, so that once a span is over its wait is visible in
     * {@link BlockingDetector#violationCount()} or {@link BlockingDetector#classLoadingWaits()}.
     * The sampler does a few stores between the two; this yields, never parks.
     */
    private void awaitPublished(long span) {
        while (publishedSpan < span) {
            Thread.yield();
        }
    }

    /** True unless {@code span} was claimed already (the sampler's cheap pre-check). */
    boolean unclaimed(long span) {
        return claimedSpan < span;
    }

    /** The owning thread's current span (odd while at DISPATCH). */
    long currentSpan() {
        return spans;
    }

    long spansAcquire() {
        return (long) SPANS.getAcquire(this);
    }

    String threadName() {
        Thread t = thread.get();
        return t == null ? "thread-" + threadId : t.getName();
    }

    /**
     * Two threads in {@code getThreadInfo} at once can make the JVM count a wait for one of them
     * (seen as a monitor wait inside {@code ThreadImpl.getThreadInfo1} on a DPC worker whose
     * notifier was the other worker), which the exit check would report as the span's blocking.
     * The reads are serialised with a spin lock, which never parks: only FAIL mode reads counters.
     */
    private static final SpinLock COUNTER_READS = new SpinLock();

    private void readWaitCounters() {
        COUNTER_READS.lock();
        try {
            ThreadInfo info = THREADS.getThreadInfo(threadId);
            waitsRead = info == null ? 0 : info.getWaitedCount();
            contendedEntriesRead = info == null ? 0 : info.getBlockedCount();
        } finally {
            COUNTER_READS.unlock();
        }
    }
}
