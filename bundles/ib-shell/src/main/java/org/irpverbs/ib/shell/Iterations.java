package org.irpverbs.ib.shell;

import java.util.concurrent.TimeUnit;

/**
 * How far a perftest run is and when it ends: after {@code -n} iterations, or, with {@code -D},
 * when its duration has passed (iterations that started in time still finish). Counts the
 * iterations done, shows them on the {@link ProgressDisplay} at most once per its interval, and
 * is where a run notices that its thread was interrupted (every count checks).
 *
 * <p>Not thread-safe: used by the one thread that runs the test.
 */
final class Iterations {
    private final String command;
    private final int total;
    private final long durationNanos;
    private final ProgressDisplay display;
    private long start;
    private long deadline;
    private long nextShow;
    private long done;

    /**
     * @param total         iterations to run, or 0 to run for {@code durationNanos}
     * @param durationNanos how long to run when {@code total} is 0
     */
    Iterations(String command, int total, long durationNanos, ProgressDisplay display) {
        this.command = command;
        this.total = total;
        this.durationNanos = durationNanos;
        this.display = display;
    }

    static Iterations of(PerftestArgs args, ProgressDisplay display) {
        return new Iterations("ib:" + args.command(), args.durationSeconds() > 0 ? 0 : args.iterations(),
                TimeUnit.SECONDS.toNanos(args.durationSeconds()), display);
    }

    /** The clock starts: the first iteration is about to be posted. */
    void start() {
        start = System.nanoTime();
        deadline = start + durationNanos;
        nextShow = start + display.intervalNanos();
    }

    long startNanos() {
        return start;
    }

    /** True for a run of {@code -D} seconds. */
    boolean timed() {
        return total == 0;
    }

    long durationNanos() {
        return durationNanos;
    }

    /**
     * May iteration {@code started} (counting from 0) begin? Below {@code -n}, or while the
     * duration has not passed.
     */
    boolean mayStart(long started) {
        return total > 0 ? started < total : System.nanoTime() - deadline < 0;
    }

    /**
     * {@code k} more iterations are done.
     *
     * @throws Interrupted if the thread was interrupted
     */
    void completed(int k) {
        done += k;
        Interrupted.check(describe("running"));
        long now = System.nanoTime();
        if (now - nextShow >= 0) {
            display.show(command + ": " + describe(now));
            nextShow = now + display.intervalNanos();
        }
    }

    long done() {
        return done;
    }

    /** {@code 1234 of 100000 iterations}, or {@code 1234 iterations} for a timed run. */
    String soFar() {
        return total > 0 ? done + " of " + total + " iterations" : done + " iterations of a " + seconds(durationNanos)
                + " s run";
    }

    private String describe(String what) {
        return what + " (" + soFar() + ")";
    }

    private String describe(long now) {
        long elapsed = now - start;
        if (total > 0) {
            return done + " of " + total + " iterations (" + done * 100 / total + "%), " + seconds(elapsed) + " s";
        }
        return done + " iterations, " + seconds(elapsed) + " of " + seconds(durationNanos) + " s";
    }

    private static long seconds(long nanos) {
        return TimeUnit.NANOSECONDS.toSeconds(nanos);
    }

    /** Removes the progress line, so that the result starts on a clean line. */
    void clearDisplay() {
        display.clear();
    }
}
