package org.irpverbs.ib.shell;

import java.nio.ByteBuffer;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.irp.IoManager;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.WrOpcode;

/**
 * A perftest run between two HCA ports (ib_write_bw, ib_read_bw, ib_send_bw, ib_send_lat as the
 * perftest suite has them): set up both endpoints through the verbs, connect their RC QPs, let the
 * subclass move the data through the speed path and measure, verify the data, tear everything
 * down. One small subclass per test.
 * <pre>
 *   local  (hca, port)  ── RC QP ─── fabric ─── RC QP ──  remote (hca, port)
 *   buffer registered with the access the test needs   buffer registered likewise
 * </pre>
 * Runs on the shell's thread, which is PASSIVE: it waits for the control-path verbs' promises and
 * spins on the CQs.
 *
 * <p>Not thread-safe: one run per instance.
 */
abstract class Perftest {
    static final String RULE = "-".repeat(87) + "\n";
    static final double MIB = 1 << 20;

    final IoManager io;
    final PerftestArgs args;

    Perftest(IoManager io, PerftestArgs args) {
        this.io = io;
        this.args = args;
    }

    /** The perftest title, e.g. {@code RDMA_Write BW Test}. */
    abstract String title();

    /** Bytes of the local buffer: one {@code -s} message unless the test keeps more. */
    int localBufferBytes() {
        return args.size();
    }

    /** Bytes of the remote buffer: one {@code -s} message unless the test keeps more. */
    int remoteBufferBytes() {
        return args.size();
    }

    /** The local buffer's access rights: LOCAL_WRITE, which receives and RDMA READ responses need. */
    int localAccess() {
        return AccessFlags.LOCAL_WRITE;
    }

    /** The remote buffer's access rights; an RDMA test adds the remote access it needs. */
    int remoteAccess() {
        return AccessFlags.LOCAL_WRITE;
    }

    /** True for a latency test, whose header has no TX depth (one message in flight). */
    boolean latency() {
        return false;
    }

    /** Send queue depth at each end (the receive queue: {@link #receiveDepth()}). */
    int sendDepth() {
        return args.depth();
    }

    int receiveDepth() {
        return 1;
    }

    /** RDMA READs a responder accepts at once (and a requester keeps in flight). */
    int readDepth() {
        return 1;
    }

    /** Runs the transfers and returns the result lines, with the verification. */
    abstract String measure(Endpoint local, Endpoint remote);

    final String run() {
        Hcas.settle(io);
        HcaDevice localHca = Hcas.named(io, args.localHca());
        HcaDevice remoteHca = Hcas.named(io, args.remoteHca());
        StringBuilder out = new StringBuilder();
        try (Endpoint local = Endpoint.open(io, localHca, args.localPort(), localBufferBytes(), sendDepth(),
                receiveDepth(), localAccess());
                Endpoint remote = Endpoint.open(io, remoteHca, args.remotePort(), remoteBufferBytes(), sendDepth(),
                        receiveDepth(), remoteAccess())) {
            local.connect(remote, readDepth());
            remote.connect(local, readDepth());
            out.append(RULE);
            out.append(String.format("%36s%s%n", "", title()));
            out.append(String.format(" Devices         : %s port %d -> %s port %d%n", localHca.name(), args.localPort(),
                    remoteHca.name(), args.remotePort()));
            out.append(" Transport type  : IB\n Connection type : RC\n Using SRQ       : OFF\n");
            if (!latency()) {
                out.append(String.format(" TX depth        : %d%n", args.depth()));
            }
            out.append(String.format(" Mtu             : %d[B]%n Link type       : IB%n",
                    Math.min(local.portAttributes.activeMtu().bytes(), remote.portAttributes.activeMtu().bytes())));
            out.append(" local address : ").append(local.describe()).append('\n');
            out.append(" remote address: ").append(remote.describe()).append('\n');
            out.append(RULE);
            out.append(measure(local, remote));
            out.append(RULE);
        }
        return out.toString();
    }

    /** Fills {@code [offset, offset + length)} with a pattern that differs per {@code seed}. */
    static void fill(ByteBuffer buffer, int offset, int length, int seed) {
        for (int i = 0; i < length; i++) {
            buffer.put(offset + i, (byte) (i * 31 + seed * 7 + 1));
        }
    }

    /**
     * Checks that {@code length} bytes of {@code actual} at {@code actualOffset} equal those of
     * {@code expected} at {@code expectedOffset}.
     *
     * @throws IllegalStateException at the first difference
     */
    static void verify(String what, ByteBuffer expected, int expectedOffset, ByteBuffer actual, int actualOffset,
            int length) {
        int at = mismatch(expected, expectedOffset, actual, actualOffset, length);
        if (at >= 0) {
            throw verificationFailed(what, expected, expectedOffset, actual, actualOffset, at);
        }
    }

    /**
     * As {@link #verify(String, ByteBuffer, int, ByteBuffer, int, int)} for message {@code i} of a
     * timed loop, named {@code prefix + i + suffix}: the name is built only if the data differ, so
     * a verified message costs no string.
     */
    static void verify(String prefix, int i, String suffix, ByteBuffer expected, int expectedOffset, ByteBuffer actual,
            int actualOffset, int length) {
        int at = mismatch(expected, expectedOffset, actual, actualOffset, length);
        if (at >= 0) {
            throw verificationFailed(prefix + i + suffix, expected, expectedOffset, actual, actualOffset, at);
        }
    }

    /** The index of the first differing byte in the two ranges, or -1. */
    private static int mismatch(ByteBuffer expected, int expectedOffset, ByteBuffer actual, int actualOffset,
            int length) {
        ByteBuffer e = expected.duplicate().position(expectedOffset).limit(expectedOffset + length).slice();
        ByteBuffer a = actual.duplicate().position(actualOffset).limit(actualOffset + length).slice();
        return e.mismatch(a);
    }

    private static IllegalStateException verificationFailed(String what, ByteBuffer expected, int expectedOffset,
            ByteBuffer actual, int actualOffset, int at) {
        return new IllegalStateException("data verification failed for " + what + ": byte " + at + " is "
                + (actual.get(actualOffset + at) & 0xFF) + ", expected " + (expected.get(expectedOffset + at) & 0xFF));
    }

    /**
     * The perftest bandwidth columns. MB is 2^20 bytes, as perftest's. The average runs from the
     * first post to the last completion; the peak is the best rate over any stretch of at least a
     * tenth of the run (completions are timed per poll, so shorter stretches would measure the
     * polling, not the transfer).
     */
    String bandwidth(long[] completedAt, long start, int iterations, int size) {
        long elapsed = Math.max(1, completedAt[iterations - 1] - start);
        double average = (double) iterations * size / MIB / (elapsed / 1e9);
        double peak = average;
        long stretch = elapsed / 10;
        int from = 0;
        for (int to = 1; to < iterations; to++) {
            while (from + 1 < to && completedAt[to] - completedAt[from + 1] >= stretch) {
                from++;
            }
            long delta = completedAt[to] - completedAt[from];
            if (delta >= stretch && delta > 0) {
                peak = Math.max(peak, (double) (to - from) * size / MIB / (delta / 1e9));
            }
        }
        double rate = iterations / (elapsed / 1e9) / 1e6;
        return String.format(" %-10s %-14s %-18s %-20s %-14s%n %-10d %-14d %-18.2f %-20.2f %-14.6f%n", "#bytes",
                "#iterations", "BW peak[MB/sec]", "BW average[MB/sec]", "MsgRate[Mpps]", size, iterations, peak, average,
                rate);
    }

    /**
     * The bandwidth loop of write_bw and read_bw: {@code -n} RDMA operations of {@code -s} bytes,
     * at most {@code -t} in flight, each timed when its completion is polled; returns the perftest
     * bandwidth line.
     */
    String rdmaBandwidth(Endpoint local, Endpoint remote, WrOpcode opcode, String label, String command) {
        int n = args.iterations();
        int size = args.size();
        long[] completedAt = new long[n];
        Spinner spinner = new Spinner(command);
        int posted = 0;
        int completed = 0;
        long start = System.nanoTime();
        while (completed < n) {
            while (posted < n && posted - completed < args.depth() && local.postRdma(opcode, posted, 0, size, remote)) {
                posted++;
            }
            int k = local.poll(local.sendCq);
            if (k == 0) {
                spinner.idle(label, completed, n);
                continue;
            }
            spinner.progress();
            long now = System.nanoTime();
            for (int i = 0; i < k; i++) {
                completedAt[completed++] = now;
            }
        }
        return bandwidth(completedAt, start, n, size);
    }
}
