package org.irpverbs.irp;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Tells what a contended monitor entry that the span-exit check counted was, when it was too short
 * for the sampler to see: the JVM loading or linking code on first use (a class load or an
 * {@code invokedynamic} call site, e.g. a lambda, linked at DISPATCH; the JDK takes monitors of its
 * own for both), which is excused and counted as {@link BlockingDetector#classLoadingWaits()}, or
 * anything else, which is a violation and is now reported with the stack where the thread waited.
 *
 * <p>Why it is needed: the framework preloads a driver's classes at PASSIVE, but the JVM links each
 * lambda's call site the first time it runs, so a freshly updated bundle links its lambdas at
 * DISPATCH. On JDK 17 linking registers the call site with the JDK's common {@code Cleaner}, whose
 * list is a monitor that every other thread reading a class from a jar also takes; the resulting
 * contention lasts microseconds, and the span-exit check only sees that the thread's contended-entry
 * counter moved. The kernel analog is a page fault on pageable code: Windows makes drivers keep DISPATCH
 * code non-paged; the JVM offers no way to link a call site before it first runs.
 *
 * <p>How: with JFR (Java Flight Recorder, part of the JDK), two kinds of events in one stream, both on
 * JFR's clock: {@code jdk.JavaMonitorEnter} with no threshold and with stack traces (every contended
 * entry of every thread), and {@link Backend.DispatchSpan}, begun when a thread enters DISPATCH and
 * committed only for a span whose exit found contended entries and no waits. A span's event is
 * committed after its contentions ended, so by the time the stream delivers it every contention of
 * the span has been delivered: the match is exact, by thread and time. FAIL mode only; where JFR is
 * not in the runtime or not visible (an OSGi framework that neither exports nor boot-delegates
 * {@code jdk.jfr}), nothing is deferred and such spans are reported as before.
 *
 * <p>Thread-safe. {@link #beginSpan()} and {@link #defer} run at DISPATCH and never block (JFR's
 * event begin and commit write to a thread-local buffer; the pending list is lock-free);
 * {@link #settle()} runs at PASSIVE and waits for the stream.
 */
final class ContentionAttribution {
    /** How long a span may wait for JFR to deliver it before it is reported without attribution. */
    private static final long DELIVERY_BOUND_NANOS = TimeUnit.SECONDS.toNanos(20);
    private static final Object NOT_STARTED = new Object();

    /** A span whose contended entries await the stream. */
    static final class Pending {
        final long threadId;
        final long spanSequence;
        final long contendedEntries;
        final String threadName;
        final String where;
        final long deferredAtNanos = System.nanoTime();
        /** Set by whoever gives the verdict, which it counts before the span leaves the pending list. */
        final java.util.concurrent.atomic.AtomicBoolean decided = new java.util.concurrent.atomic.AtomicBoolean();

        Pending(long threadId, long spanSequence, long contendedEntries, String threadName, String where) {
            this.threadId = threadId;
            this.spanSequence = spanSequence;
            this.contendedEntries = contendedEntries;
            this.threadName = threadName;
            this.where = where;
        }
    }

    private static final ConcurrentLinkedQueue<Pending> PENDING = new ConcurrentLinkedQueue<>();
    /** {@link #NOT_STARTED}, a running {@link Backend}, or null when JFR is not available. */
    private static volatile Object backend = NOT_STARTED;
    /** Why JFR could not be used, or null. */
    private static volatile String unavailable;

    private ContentionAttribution() {}

    /** Starts the stream (at PASSIVE, when FAIL mode begins); false where JFR cannot be used. */
    static synchronized boolean start() {
        if (backend == NOT_STARTED) {
            Object started;
            try {
                started = new Backend();
            } catch (Throwable e) { // NoClassDefFoundError where jdk.jfr is not visible, IllegalStateException if JFR is off
                started = null;
                unavailable = e.toString();
            }
            backend = started;
        }
        return backend != null;
    }

    static String unavailable() {
        return unavailable;
    }

    static boolean active() {
        return backend instanceof Backend;
    }

    /** At DISPATCH entry: a begun span event, or null when attribution is off. */
    static Object beginSpan() {
        Object b = backend;
        return b instanceof Backend ? Backend.begin() : null;
    }

    /**
     * At DISPATCH exit, for a span that met contended monitors and did not wait: leaves the
     * verdict to the stream. The caller has claimed the span.
     */
    static void defer(Object spanEvent, long threadId, long spanSequence, long contendedEntries, String threadName,
            String where) {
        PENDING.add(new Pending(threadId, spanSequence, contendedEntries, threadName, where));
        Backend.commit(spanEvent, threadId, spanSequence);
    }

    /**
     * Waits (at PASSIVE) until every deferred span has its verdict, so that a count read after it
     * includes them; a span the stream never delivered within the bound is reported unattributed.
     */
    static void settle() {
        if (PENDING.isEmpty() || ExecutionLevel.atDispatch()) {
            return;
        }
        while (!PENDING.isEmpty()) {
            long now = System.nanoTime();
            for (Pending p : PENDING) {
                if (now - p.deferredAtNanos > DELIVERY_BOUND_NANOS && p.decided.compareAndSet(false, true)) {
                    BlockingDetector.report(unattributed(p, "; JFR did not deliver the span"));
                    PENDING.remove(p);
                }
            }
            if (PENDING.isEmpty()) {
                return;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static BlockingViolation unattributed(Pending p, String why) {
        return new BlockingViolation(p.threadName, p.where, "the thread met a contended lock " + p.contendedEntries
                + " time(s) while at DISPATCH" + why, null);
    }

    /**
     * The stream's verdict on one span, given the contended entries it saw in it; false if it saw
     * fewer entries than the span counted and may see the rest with a later flush.
     */
    static boolean resolve(long threadId, long spanSequence, List<Contention> inSpan, boolean lastChance) {
        Pending pending = null;
        for (Pending p : PENDING) {
            if (p.threadId == threadId && p.spanSequence == spanSequence) {
                pending = p;
                break;
            }
        }
        if (pending == null) {
            return true;
        }
        long codeLoading = 0;
        Contention driverLock = null;
        for (Contention c : inSpan) {
            if (BlockingDetector.loadingCode(c.stack)) {
                codeLoading++;
            } else if (driverLock == null) {
                driverLock = c;
            }
        }
        if (driverLock == null && codeLoading < pending.contendedEntries && !lastChance) {
            return false;
        }
        if (!pending.decided.compareAndSet(false, true)) {
            return true;
        }
        // counted first, then off the list: settle() returns only once the count shows the verdict
        if (driverLock != null) {
            BlockingDetector.report(new BlockingViolation(pending.threadName, pending.where, "met a contended lock on "
                    + driverLock.monitorClass + " for " + driverLock.nanos / 1000 + " µs", driverLock.stack));
        } else if (codeLoading >= pending.contendedEntries) {
            BlockingDetector.classLoadingWait(); // the JVM loading or linking code: its page fault
        } else {
            BlockingDetector.report(unattributed(pending, "; JFR saw " + codeLoading + " of them"));
        }
        PENDING.remove(pending);
        return true;
    }

    /** One contended monitor entry JFR saw. */
    record Contention(long threadId, long startNanos, long endNanos, long nanos, String monitorClass,
            StackTraceElement[] stack) {}

    /** Everything that names JFR, so that the rest loads where JFR is not visible. */
    static final class Backend {
        @jdk.jfr.Name("org.irpverbs.DispatchSpan")
        @jdk.jfr.Label("DISPATCH span with contended monitor entries")
        @jdk.jfr.StackTrace(false)
        static final class DispatchSpan extends jdk.jfr.Event {
            @jdk.jfr.Label("Java thread id")
            long javaThreadId;
            @jdk.jfr.Label("Span sequence")
            long spanSequence;
        }

        /** Contended entries not yet matched to a span, bounded: only the last few seconds matter. */
        private static final int KEPT = 16_384;
        private final ConcurrentLinkedQueue<Contention> recent = new ConcurrentLinkedQueue<>();
        private final java.util.concurrent.atomic.AtomicInteger recentSize = new java.util.concurrent.atomic.AtomicInteger();
        private final jdk.jfr.consumer.RecordingStream stream;

        Backend() {
            jdk.jfr.FlightRecorder.register(DispatchSpan.class);
            stream = new jdk.jfr.consumer.RecordingStream();
            stream.enable("jdk.JavaMonitorEnter").withThreshold(java.time.Duration.ZERO).withStackTrace();
            stream.enable(DispatchSpan.class).withThreshold(java.time.Duration.ZERO);
            stream.onEvent("jdk.JavaMonitorEnter", this::contention);
            stream.onEvent("org.irpverbs.DispatchSpan", this::span);
            stream.onFlush(this::retry);
            stream.startAsync();
        }

        static Object begin() {
            DispatchSpan event = new DispatchSpan();
            event.begin();
            return event;
        }

        static void commit(Object spanEvent, long threadId, long spanSequence) {
            DispatchSpan event = (DispatchSpan) spanEvent;
            event.javaThreadId = threadId;
            event.spanSequence = spanSequence;
            event.commit();
        }

        private static long nanos(java.time.Instant t) {
            return t.getEpochSecond() * 1_000_000_000L + t.getNano();
        }

        private void contention(jdk.jfr.consumer.RecordedEvent e) {
            jdk.jfr.consumer.RecordedThread thread = e.getThread();
            if (thread == null) {
                return;
            }
            jdk.jfr.consumer.RecordedClass monitor = e.getClass("monitorClass");
            recent.add(new Contention(thread.getJavaThreadId(), nanos(e.getStartTime()), nanos(e.getEndTime()),
                    e.getDuration().toNanos(), monitor == null ? "?" : monitor.getName(), stack(e.getStackTrace())));
            if (recentSize.incrementAndGet() > KEPT && recent.poll() != null) {
                recentSize.decrementAndGet();
            }
        }

        /** A delivered span still short of contended entries, with the flushes it has waited. */
        private static final class Unresolved {
            final long threadId;
            final long spanSequence;
            final long start;
            final long end;
            int flushes;

            Unresolved(long threadId, long spanSequence, long start, long end) {
                this.threadId = threadId;
                this.spanSequence = spanSequence;
                this.start = start;
                this.end = end;
            }
        }

        /** Touched by the stream's own thread only. */
        private final List<Unresolved> unresolved = new ArrayList<>();

        private void span(jdk.jfr.consumer.RecordedEvent e) {
            Unresolved span = new Unresolved(e.getLong("javaThreadId"), e.getLong("spanSequence"),
                    nanos(e.getStartTime()), nanos(e.getEndTime()));
            if (!resolve(span.threadId, span.spanSequence, contentionsIn(span), false)) {
                unresolved.add(span);
            }
        }

        /** A span's entries normally precede it in the stream; give stragglers three more flushes. */
        private void retry() {
            unresolved.removeIf(span -> resolve(span.threadId, span.spanSequence, contentionsIn(span), ++span.flushes >= 3));
        }

        private List<Contention> contentionsIn(Unresolved span) {
            List<Contention> inSpan = new ArrayList<>();
            for (Contention c : recent) {
                if (c.threadId() == span.threadId && c.endNanos() >= span.start && c.startNanos() <= span.end) {
                    inSpan.add(c);
                }
            }
            return inSpan;
        }

        private static StackTraceElement[] stack(jdk.jfr.consumer.RecordedStackTrace trace) {
            if (trace == null) {
                return new StackTraceElement[0];
            }
            List<jdk.jfr.consumer.RecordedFrame> frames = trace.getFrames();
            StackTraceElement[] out = new StackTraceElement[frames.size()];
            for (int i = 0; i < out.length; i++) {
                jdk.jfr.consumer.RecordedFrame f = frames.get(i);
                out[i] = new StackTraceElement(f.getMethod().getType().getName(), f.getMethod().getName(), null,
                        f.getLineNumber());
            }
            return out;
        }
    }
}
