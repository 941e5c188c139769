package org.irpverbs.ib.shell;

import java.util.concurrent.TimeUnit;

/**
 * How a perftest waits for completions: it polls the CQ (the speed path), spinning and yielding
 * while nothing arrives, and gives up when nothing has arrived for {@value #STALL_SECONDS} s (a
 * lost packet the transport could not recover, a dead HCA). The shell's thread is PASSIVE, so the
 * spinning blocks nobody; the HCA engines and the completion pool run on their own threads. Every
 * 64th empty round it also looks at the thread's interrupt status, so that Ctrl-C stops a test
 * that waits for a completion ({@link Interrupted}).
 *
 * <p>Not thread-safe: one per running test.
 */
final class Spinner {
    static final long STALL_SECONDS = 10;

    private final String what;
    private long lastProgress = System.nanoTime();
    private int idle;

    Spinner(String what) {
        this.what = what;
    }

    /** Something completed. */
    void progress() {
        idle = 0;
        lastProgress = System.nanoTime();
    }

    /**
     * Nothing completed this round.
     *
     * @throws IllegalStateException when nothing has completed for too long
     * @throws Interrupted if the thread was interrupted
     */
    void idle(String waitingFor) {
        if (spin()) {
            throw stalled(waitingFor);
        }
    }

    /**
     * As {@link #idle(String)}, waiting for {@code prefix + i}: the text is built only for the
     * exception, as an empty poll must not allocate.
     */
    void idle(String prefix, int i) {
        if (spin()) {
            throw stalled(prefix + i);
        }
    }

    /**
     * As {@link #idle(String)}, waiting for {@code label + " " + done + " of " + total}: the text is
     * built only for the exception, as an empty poll must not allocate.
     */
    void idle(String label, long done, long total) {
        if (spin()) {
            throw stalled(label + " " + done + " of " + total);
        }
    }

    /**
     * Spins once (every 64th time yields); true when nothing has completed for too long.
     *
     * @throws Interrupted if the thread was interrupted
     */
    private boolean spin() {
        if (++idle % 64 == 0) {
            Interrupted.check("waiting for a completion");
            Thread.yield();
            return System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(STALL_SECONDS);
        }
        Thread.onSpinWait();
        return false;
    }

    private IllegalStateException stalled(String waitingFor) {
        return new IllegalStateException(what + ": no completion for " + STALL_SECONDS + " s while waiting for "
                + waitingFor);
    }
}
