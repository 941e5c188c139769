package org.irpverbs.benchmarks.hca;

/**
 * What a benchmark thread does after a poll found nothing, from {@code -Dhca.poll}: {@code spin}
 * (the default: {@link Thread#onSpinWait()}, yielding only after 64 empty polls, as a
 * perftest-style busy poller would, but giving the engines a turn on 2 cores), or {@code yield}
 * ({@link Thread#yield()} after every empty poll). Shared by the RC SEND and RDMA WRITE benchmarks.
 *
 * <p>Not thread-safe: one per benchmark thread.
 */
final class PollIdle {
    static final boolean SPIN = !"yield".equals(System.getProperty("hca.poll", "spin"));
    private int empty;

    /** After a pass of the poll loop: {@code progressed} if it posted or reaped anything. */
    void after(boolean progressed) {
        if (progressed) {
            progress();
        } else {
            idle();
        }
    }

    void progress() {
        empty = 0;
    }

    void idle() {
        if (!SPIN || ++empty >= 64) {
            empty = 0;
            Thread.yield();
        } else {
            Thread.onSpinWait();
        }
    }
}
