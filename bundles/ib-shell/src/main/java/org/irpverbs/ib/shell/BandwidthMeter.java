package org.irpverbs.ib.shell;

/**
 * The perftest bandwidth columns of a run: #bytes, #iterations, BW peak[MB/sec], BW
 * average[MB/sec], MsgRate[Mpps]. MB is 2^20 bytes, as perftest's. The average runs from the
 * first post to the last completion; the peak is the best rate over any stretch of at least a
 * tenth of the run (completions are timed per poll, so shorter stretches would measure the
 * polling, not the transfer).
 *
 * <p>A run of {@code -n} iterations keeps each completion's time. A run of {@code -D} seconds
 * cannot know its count in advance, so it counts completions in {@value #BUCKETS} equal slices of
 * its duration instead (completions after the deadline, of iterations started in time, count in
 * the last slice) and takes the peak over {@value #BUCKETS_PER_STRETCH} consecutive slices: the
 * same tenth of the run, in bounded memory.
 *
 * <p>Not thread-safe: used by the thread that runs the test; recording allocates nothing.
 */
final class BandwidthMeter {
    static final double MIB = 1 << 20;
    static final int BUCKETS = 1000;
    static final int BUCKETS_PER_STRETCH = BUCKETS / 10;

    private final Iterations run;
    private final long[] completedAt;
    private final long[] perBucket;
    private long completed;
    private long last;

    /** @param iterations the run's {@code -n}, used unless the run is timed */
    BandwidthMeter(Iterations run, int iterations) {
        this.run = run;
        this.completedAt = run.timed() ? null : new long[iterations];
        this.perBucket = run.timed() ? new long[BUCKETS] : null;
    }

    /** {@code k} completions were polled at {@code now}. */
    void record(long now, int k) {
        if (completedAt != null) {
            for (int i = 0; i < k; i++) {
                completedAt[(int) completed + i] = now;
            }
        } else {
            long bucket = (now - run.startNanos()) * BUCKETS / Math.max(1, run.durationNanos());
            perBucket[(int) Math.min(BUCKETS - 1, Math.max(0, bucket))] += k;
        }
        completed += k;
        last = now;
    }

    /** The perftest columns, for messages of {@code size} bytes. */
    String columns(int size) {
        long elapsed = Math.max(1, last - run.startNanos());
        double average = completed * (double) size / MIB / (elapsed / 1e9);
        double peak = Math.max(average, completedAt != null ? exactPeak(size, elapsed) : bucketPeak(size));
        double rate = completed / (elapsed / 1e9) / 1e6;
        return String.format(" %-10s %-14s %-18s %-20s %-14s%n %-10d %-14d %-18.2f %-20.2f %-14.6f%n", "#bytes",
                "#iterations", "BW peak[MB/sec]", "BW average[MB/sec]", "MsgRate[Mpps]", size, completed, peak, average,
                rate);
    }

    private double exactPeak(int size, long elapsed) {
        int n = (int) completed;
        double peak = 0;
        long stretch = elapsed / 10;
        int from = 0;
        for (int to = 1; to < n; to++) {
            while (from + 1 < to && completedAt[to] - completedAt[from + 1] >= stretch) {
                from++;
            }
            long delta = completedAt[to] - completedAt[from];
            if (delta >= stretch && delta > 0) {
                peak = Math.max(peak, (double) (to - from) * size / MIB / (delta / 1e9));
            }
        }
        return peak;
    }

    private double bucketPeak(int size) {
        double stretchSeconds = run.durationNanos() / 1e9 * BUCKETS_PER_STRETCH / BUCKETS;
        long inStretch = 0;
        double peak = 0;
        for (int i = 0; i < BUCKETS; i++) {
            inStretch += perBucket[i];
            if (i >= BUCKETS_PER_STRETCH) {
                inStretch -= perBucket[i - BUCKETS_PER_STRETCH];
            }
            if (i >= BUCKETS_PER_STRETCH - 1) {
                peak = Math.max(peak, inStretch * (double) size / MIB / stretchSeconds);
            }
        }
        return peak;
    }
}
