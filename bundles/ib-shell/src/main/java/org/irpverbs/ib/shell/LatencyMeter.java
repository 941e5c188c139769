package org.irpverbs.ib.shell;

import java.util.Arrays;

/**
 * The ib_send_lat columns of a run, in microseconds. A run of {@code -n} iterations keeps every
 * latency: t_min, t_max, t_typical (the median), t_avg, t_stdev and the 99% percentile. A run of
 * {@code -D} seconds keeps only their count and sum, and prints what ib_send_lat prints in its
 * duration mode: #bytes, #iterations, t_avg[usec] and tps average (iterations per second).
 *
 * <p>Not thread-safe: used by the thread that runs the test; recording allocates nothing.
 */
final class LatencyMeter {
    private final long[] nanos;
    private int count;
    private long sum;

    LatencyMeter(Iterations run, int iterations) {
        this.nanos = run.timed() ? null : new long[iterations];
    }

    void record(long latencyNanos) {
        if (nanos != null) {
            nanos[count] = latencyNanos;
        }
        count++;
        sum += latencyNanos;
    }

    String columns(int size, long elapsedNanos) {
        if (nanos == null) {
            double avg = count == 0 ? 0 : (double) sum / count;
            return String.format(" %-7s %-12s %-14s %-14s%n %-7d %-12d %-14.2f %-14.2f%n", "#bytes", "#iterations",
                    "t_avg[usec]", "tps average", size, count, avg / 1e3, count / (Math.max(1, elapsedNanos) / 1e9));
        }
        return columns(Arrays.copyOf(nanos, count), size);
    }

    /** The ib_send_lat columns of every latency in {@code nanos}. */
    static String columns(long[] nanos, int size) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double sum = 0;
        for (long v : sorted) {
            sum += v;
        }
        double avg = sum / n;
        double variance = 0;
        for (long v : sorted) {
            variance += (v - avg) * (v - avg);
        }
        double stdev = Math.sqrt(variance / n);
        long p99 = sorted[Math.max(0, (int) Math.ceil(0.99 * n) - 1)];
        return String.format(" %-7s %-12s %-14s %-14s %-17s %-14s %-16s %-20s%n %-7d %-12d %-14.2f %-14.2f %-17.2f %-14.2f"
                + " %-16.2f %-20.2f%n", "#bytes", "#iterations", "t_min[usec]", "t_max[usec]", "t_typical[usec]",
                "t_avg[usec]", "t_stdev[usec]", "99% percentile[usec]", size, n, sorted[0] / 1e3, sorted[n - 1] / 1e3,
                sorted[n / 2] / 1e3, avg / 1e3, stdev / 1e3, p99 / 1e3);
    }
}
