package org.irpverbs.irp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Detects blocking at {@link ExecutionLevel#DISPATCH}. Three mechanisms, by {@link Mode}:
 * <ul>
 * <li><b>explicit checks</b>: every framework operation that may wait calls
 * {@link #checkMayBlock(String)} first, which reports with the exact stack;</li>
 * <li><b>a sampler</b>: a daemon thread looks at every thread that is at DISPATCH and reports one
 * found BLOCKED, WAITING or TIMED_WAITING, with its stack;</li>
 * <li><b>span counting</b> ({@link Mode#FAIL} only): the JVM's per-thread wait and contended-lock
 * counters are read when a thread enters and leaves DISPATCH; any difference is a violation, so
 * even a blocking call too short for the sampler is caught.</li>
 * </ul>
 * One wait is reported once: the sampler, an explicit check and the exit check claim the span
 * atomically, and only the first reports. The one wait that is excused is a thread's own wait
 * inside a class loader's {@code loadClass} (the JVM loading code on first use, as a page fault
 * would in a kernel), which only the sampler can see from the thread's stack: it is counted by
 * {@link #classLoadingWaits()}, not as a violation. Class loading by other threads excuses
 * nothing. A class-loading wait too short for the sampler is reported at span exit, which is why
 * drivers preload their code.
 * The mode comes from the system property {@code irpverbs.blocking} ({@code off}, {@code report}
 * — the default — or {@code fail}). Test runs use {@code fail} and assert that
 * {@link #violationCount()} stays zero; a violation is never thrown into the code that blocked,
 * which would corrupt the request it was processing.
 *
 * <p>Thread-safe.
 */
public final class BlockingDetector {
    /** How much detection runs. */
    public enum Mode {
        OFF, REPORT, FAIL
    }

    private static final int KEPT = 256;
    /**
     * Why the system property {@code irpverbs.blocking} was not used, or null: a bad value must not
     * fail this class's initialisation (every later use would be a NoClassDefFoundError, and the
     * I/O manager's start a 58-line stack trace); the I/O manager logs this one line instead.
     */
    private static volatile String propertyError;
    private static volatile Mode mode = modeFromSystemProperty();
    private static final ConcurrentLinkedQueue<BlockingViolation> RECENT = new ConcurrentLinkedQueue<>();
    private static final AtomicLong COUNT = new AtomicLong();
    private static final AtomicLong CLASS_LOADING_WAITS = new AtomicLong();
    private static final List<Consumer<BlockingViolation>> LISTENERS = new CopyOnWriteArrayList<>();
    private static final ConcurrentLinkedQueue<LevelState> THREADS = new ConcurrentLinkedQueue<>();
    private static volatile Thread sampler;
    /** A test seam: while set, the sampler looks at no thread, so only the span-exit check judges. */
    private static volatile boolean samplerPaused;

    static {
        if (mode == Mode.FAIL) {
            ContentionAttribution.start();
        }
    }

    private BlockingDetector() {}

    /**
     * Parses a mode name.
     *
     * @throws IllegalArgumentException naming the accepted values, for anything else
     */
    public static Mode parseMode(String value) {
        if (value == null || value.isBlank()) {
            return Mode.REPORT;
        }
        try {
            return Mode.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "irpverbs.blocking must be one of off, report, fail; was '" + value + "'", e);
        }
    }

    private static Mode modeFromSystemProperty() {
        try {
            return parseMode(System.getProperty("irpverbs.blocking"));
        } catch (IllegalArgumentException e) {
            propertyError = e.getMessage() + "; using " + Mode.REPORT.name().toLowerCase(Locale.ROOT);
            return Mode.REPORT;
        }
    }

    /** The message saying why the system property {@code irpverbs.blocking} was not used, or null. */
    public static String systemPropertyError() {
        return propertyError;
    }

    public static Mode mode() {
        return mode;
    }

    public static void setMode(Mode newMode) {
        if (newMode == Mode.FAIL) {
            ContentionAttribution.start(); // before the first span counts, so that its spans can be attributed
        }
        mode = newMode;
        if (newMode != Mode.OFF) {
            startSampler();
        }
    }

    /**
     * Whether a contended monitor too brief for the sampler is attributed (FAIL mode with JFR
     * visible): the JVM loading or linking code is then excused, and a driver's lock reported with
     * its stack. Otherwise such a span is reported without a stack.
     */
    public static boolean attributesBriefContention() {
        return ContentionAttribution.active();
    }

    /** Why brief contention is not attributed (JFR not visible or not running), or null. */
    public static String briefContentionAttributionProblem() {
        return ContentionAttribution.unavailable();
    }

    /** Test seam: pauses or resumes the sampler (see {@link #samplerPaused}). */
    static void pauseSampler(boolean paused) {
        samplerPaused = paused;
    }

    static boolean countsSpans() {
        return mode == Mode.FAIL;
    }

    /**
     * Reports a violation if the calling thread is at DISPATCH. Call it before any operation that
     * can wait. Returns true if the caller may block.
     */
    public static boolean checkMayBlock(String operation) {
        if (mode != Mode.OFF && ExecutionLevel.atDispatch()) {
            LevelState state = LevelState.get();
            long span = state.currentSpan();
            boolean first = state.claim(span); // the wait that follows is this report, not another one at span exit
            report(new BlockingViolation(state.threadName(), state.span == null ? "DISPATCH span" : state.span,
                    operation + " called at DISPATCH", Thread.currentThread().getStackTrace()));
            if (first) {
                state.published(span);
            }
            return false;
        }
        return true;
    }

    /**
     * Total violations reported since start or the last {@link #reset()}. At PASSIVE in FAIL mode
     * it first waits for the verdict on spans whose brief monitor contention JFR is still to
     * attribute (about a second, and only when there are such spans).
     */
    public static long violationCount() {
        ContentionAttribution.settle();
        return COUNT.get();
    }

    /** The most recent violations (up to 256), after the same wait as {@link #violationCount()}. */
    public static List<BlockingViolation> recentViolations() {
        ContentionAttribution.settle();
        return new ArrayList<>(RECENT);
    }

    /**
     * DISPATCH spans in which the thread itself waited for the JVM to load or link code: found by
     * the sampler inside a class loader's {@code loadClass} or an {@code invokedynamic} call
     * site's linkage (first use of a code path, or of a lambda, while another thread held the
     * lock the JVM needed), or shown so by JFR for a contention too brief for the sampler
     * ({@link ContentionAttribution}); not counted as violations, but reported here.
     */
    public static long classLoadingWaits() {
        ContentionAttribution.settle();
        return CLASS_LOADING_WAITS.get();
    }

    static void classLoadingWait() {
        CLASS_LOADING_WAITS.incrementAndGet();
    }

    /** Forgets past violations (tests call it before each case), once earlier spans have their verdict. */
    public static void reset() {
        ContentionAttribution.settle();
        RECENT.clear();
        COUNT.set(0);
    }

    /** Adds a listener called on every violation (e.g. to log it); it must not block. */
    public static void addListener(Consumer<BlockingViolation> listener) {
        LISTENERS.add(listener);
    }

    public static void removeListener(Consumer<BlockingViolation> listener) {
        LISTENERS.remove(listener);
    }

    static void report(BlockingViolation violation) {
        record(violation);
        notifyListeners(violation);
    }

    /** Counts and keeps a violation: after this, {@link #violationCount()} and the recent list show it. */
    private static void record(BlockingViolation violation) {
        COUNT.incrementAndGet();
        RECENT.add(violation);
        while (RECENT.size() > KEPT) {
            RECENT.poll();
        }
    }

    private static void notifyListeners(BlockingViolation violation) {
        for (Consumer<BlockingViolation> listener : LISTENERS) {
            try {
                listener.accept(violation);
            } catch (RuntimeException ignored) {
                // a broken listener must not break detection for the others
            }
        }
    }

    static void register(LevelState state) {
        THREADS.add(state);
        if (mode != Mode.OFF) {
            startSampler();
        }
    }

    private static void startSampler() {
        if (sampler != null) {
            return;
        }
        synchronized (BlockingDetector.class) {
            if (sampler != null) {
                return;
            }
            Thread t = new Thread(BlockingDetector::sample, "irpverbs-blocking-sampler");
            t.setDaemon(true);
            sampler = t;
            t.start();
        }
    }

    /** The sampler's loop: it runs at PASSIVE and may sleep. */
    private static void sample() {
        while (true) {
            Mode current = mode;
            try {
                Thread.sleep(current == Mode.FAIL ? 1 : 10);
            } catch (InterruptedException e) {
                return;
            }
            if (current == Mode.OFF || samplerPaused) {
                continue;
            }
            for (LevelState state : THREADS) {
                Thread t = state.thread.get();
                if (t == null || !t.isAlive()) {
                    THREADS.remove(state);
                    continue;
                }
                long spanBefore = state.spansAcquire();
                if ((spanBefore & 1) == 0 || !state.unclaimed(spanBefore)) {
                    continue; // not in a DISPATCH span, or this span was reported already
                }
                Thread.State threadState = t.getState();
                if (threadState == Thread.State.BLOCKED || threadState == Thread.State.WAITING
                        || threadState == Thread.State.TIMED_WAITING) {
                    StackTraceElement[] stack = t.getStackTrace();
                    // still the same span and still blocked: it blocked inside the span, not between two
                    if (t.getState() == threadState && state.spansAcquire() == spanBefore && state.claim(spanBefore)) {
                        BlockingViolation violation = null;
                        if (loadingCode(stack)) {
                            // the thread itself waits for the JVM to load code (its page fault): counted
                            // apart, and the claim keeps the exit check from reporting the span
                            classLoadingWait();
                        } else {
                            String span = state.span;
                            violation = new BlockingViolation(t.getName(), span == null ? "DISPATCH span" : span,
                                    "found " + threadState + " by the sampler", stack);
                            record(violation);
                        }
                        // the thread may be leaving the span and waits for this before it returns
                        state.published(spanBefore);
                        if (violation != null) {
                            notifyListeners(violation);
                        }
                    }
                }
            }
        }
    }

    /**
     * Whether the stack is the JVM loading code for the thread: inside a class loader's
     * {@code loadClass}, or linking an {@code invokedynamic} call site or a dynamic constant (a
     * lambda, a method reference or a string concatenation running for the first time).
     */
    static boolean loadingCode(StackTraceElement[] stack) {
        for (StackTraceElement frame : stack) {
            String type = frame.getClassName();
            String method = frame.getMethodName();
            if (method.equals("loadClass") && (type.equals("java.lang.ClassLoader") || type.startsWith("jdk.internal.loader."))) {
                return true;
            }
            if (type.equals("java.lang.invoke.MethodHandleNatives") && method.startsWith("link")
                    || type.equals("java.lang.invoke.BootstrapMethodInvoker")) {
                return true;
            }
        }
        return false;
    }
}
