package org.irpverbs.ib.shell;

import java.util.concurrent.TimeUnit;

/**
 * How a perftest waits for completions: it polls the CQ (the speed path), spinning and yielding
 * while nothing arrives, and gives up when nothing has arrived for {@value #STALL_SECONDS} s (a
 * lost packet the transport could not recover, a dead HCA). The shell's thread is PASSIVE, so the
 * spinning blocks nobody; the HCA engines and the completion pool run on their own threads.
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
     */
    void idle(String waitingFor) {
        if (++idle % 64 == 0) {
            Thread.yield();
            if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(STALL_SECONDS)) {
                throw new IllegalStateException(what + ": no completion for " + STALL_SECONDS + " s while waiting for "
                        + waitingFor);
            }
        } else {
            Thread.onSpinWait();
        }
    }
}
