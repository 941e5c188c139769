package org.irpverbs.ib.shell;

import java.util.Arrays;
import org.irpverbs.irp.IoManager;
import org.irpverbs.verbs.AccessFlags;

/**
 * {@code ib:send_lat}: ping-pong of {@code -s}-byte SENDs, one message in flight; the latency of an
 * iteration is half its round trip, as ib_send_lat reports it. Every message is checked on arrival.
 * Each buffer holds the message to send at offset 0 and the one to receive at offset {@code -s}.
 */
final class SendLatency extends Perftest {
    SendLatency(IoManager io, PerftestArgs args) {
        super(io, args);
    }

    @Override
    String title() {
        return "Send Latency Test";
    }

    @Override
    int localBufferBytes() {
        return 2 * args.size();
    }

    @Override
    int remoteBufferBytes() {
        return 2 * args.size();
    }

    @Override
    int localAccess() {
        return AccessFlags.LOCAL_WRITE;
    }

    @Override
    int remoteAccess() {
        return AccessFlags.LOCAL_WRITE;
    }

    @Override
    int sendDepth() {
        return 1;
    }

    @Override
    String measure(Endpoint local, Endpoint remote) {
        int n = args.iterations();
        int size = args.size();
        fill(local.buffer, 0, size, 4);
        fill(remote.buffer, 0, size, 5);
        Spinner spinner = new Spinner("ib:send_lat");
        post(() -> local.postReceive(0, size, size), spinner, "the first receive");
        post(() -> remote.postReceive(0, size, size), spinner, "the first receive");
        long[] latency = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            int iteration = i;
            post(() -> local.postSend(iteration, 0, size), spinner, "the ping " + i);
            await(remote, true, spinner, "the ping of iteration " + i);
            verify("ping " + i, local.buffer, 0, remote.buffer, size, size);
            post(() -> remote.postReceive(iteration + 1, size, size), spinner, "a receive");
            post(() -> remote.postSend(iteration, 0, size), spinner, "the pong " + i);
            await(local, true, spinner, "the pong of iteration " + i);
            long t1 = System.nanoTime();
            verify("pong " + i, remote.buffer, 0, local.buffer, size, size);
            post(() -> local.postReceive(iteration + 1, size, size), spinner, "a receive");
            await(local, false, spinner, "the ping's send completion " + i);
            await(remote, false, spinner, "the pong's send completion " + i);
            latency[i] = (t1 - t0) / 2;
        }
        return latencyColumns(latency, size) + String.format(
                " data verified: every ping at %s and pong at %s carried the %d bytes sent%n", remote.hca.name(),
                local.hca.name(), size);
    }

    /** Posts, waiting out a full queue (its slot frees a moment after the completion was polled). */
    private static void post(java.util.function.BooleanSupplier post, Spinner spinner, String what) {
        while (!post.getAsBoolean()) {
            spinner.idle("room in the queue for " + what);
        }
    }

    private static void await(Endpoint endpoint, boolean receive, Spinner spinner, String what) {
        while (endpoint.poll(receive ? endpoint.recvCq : endpoint.sendCq) == 0) {
            spinner.idle(what);
        }
        spinner.progress();
    }

    /** The ib_send_lat columns, in microseconds. */
    static String latencyColumns(long[] nanos, int size) {
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
