package org.irpverbs.ib.shell;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
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

    /**
     * Runs the transfers through {@code run} (which counts them, shows progress and notices an
     * interrupt) and returns the result lines, with the verification.
     */
    abstract String measure(Endpoint local, Endpoint remote, Iterations run);

    /** {@code ib:write_bw}, for messages. */
    final String command() {
        return "ib:" + args.command();
    }

    /**
     * Runs the test and returns its perftest report. Whatever ends it (a bad argument, a failed
     * verb, an interrupt, an HCA whose driver goes away), what it made on both HCAs is released
     * before it returns, and a failure is a {@link CommandFailure} of one line saying what
     * happened, after how many iterations, and that the resources were released.
     */
    final String run(ProgressDisplay display) {
        HcaDevice localHca;
        HcaDevice remoteHca;
        try {
            Hcas.settle(io);
            localHca = Hcas.named(io, args.localHca());
            remoteHca = Hcas.named(io, args.remoteHca());
        } catch (Interrupted | IllegalArgumentException | IllegalStateException e) {
            throw new CommandFailure(command() + ": " + e.getMessage());
        }
        Iterations run = Iterations.of(args, display);
        List<Endpoint> opened = new ArrayList<>();
        String report = null;
        RuntimeException failure = null;
        boolean measuring = false;
        try {
            Endpoint local = Endpoint.open(io, localHca, "port", args.localPort(), localBufferBytes(), sendDepth(),
                    receiveDepth(), localAccess());
            opened.add(local);
            Endpoint remote = Endpoint.open(io, remoteHca, "remote port", args.remotePort(), remoteBufferBytes(),
                    sendDepth(), receiveDepth(), remoteAccess());
            opened.add(remote);
            local.connect(remote, readDepth());
            remote.connect(local, readDepth());
            String header = header(local, remote);
            measuring = true;
            report = header + measure(local, remote, run) + RULE;
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            run.clearDisplay();
        }
        String releaseProblem = release(opened);
        // an interrupt that came while the test released what it made counts as well
        boolean interrupted = failure instanceof Interrupted | Thread.interrupted();
        if (failure == null && !interrupted) {
            if (releaseProblem != null) {
                throw new CommandFailure(command() + ": the run finished, but " + releaseProblem);
            }
            return report;
        }
        String when = measuring ? "after " + run.soFar() : "during set-up";
        String released = releaseProblem != null ? "; " + releaseProblem
                : opened.isEmpty() ? "" : "; " + released(opened.stream().map(e -> e.hca).distinct().toList());
        if (interrupted) {
            CommandFailure interruptedRun = new CommandFailure(command() + ": interrupted " + when + released);
            display.interrupted(interruptedRun.getMessage());
            throw interruptedRun;
        }
        for (HcaDevice hca : new HcaDevice[] {localHca, remoteHca}) {
            if (hca.state() != HcaDevice.State.STARTED) {
                throw new CommandFailure(command() + ": the driver of " + hca.name() + " (" + hca.device().driver().name()
                        + ") went away during the run, " + when + released);
            }
        }
        if (failure instanceof IllegalArgumentException) {
            throw new CommandFailure(command() + ": " + failure.getMessage() + released);
        }
        throw new CommandFailure(command() + ": " + failure.getMessage() + " (" + when + ")" + released, failure);
    }

    private String header(Endpoint local, Endpoint remote) {
        StringBuilder out = new StringBuilder();
        out.append(RULE);
        out.append(String.format("%36s%s%n", "", title()));
        out.append(String.format(" Devices         : %s port %d -> %s port %d%n", local.hca.name(), args.localPort(),
                remote.hca.name(), args.remotePort()));
        out.append(" Transport type  : IB\n Connection type : RC\n Using SRQ       : OFF\n");
        if (!latency()) {
            out.append(String.format(" TX depth        : %d%s%n", args.depth(), args.depthNote()));
        }
        if (readDepth() > 1) {
            out.append(String.format(" Outstand reads  : %d%s%n", readDepth(), readDepthNote()));
        }
        if (args.durationSeconds() > 0) {
            out.append(String.format(" Duration        : %d s%n", args.durationSeconds()));
        }
        out.append(String.format(" Mtu             : %d[B]%n Link type       : IB%n",
                Math.min(local.portAttributes.activeMtu().bytes(), remote.portAttributes.activeMtu().bytes())));
        out.append(" local address : ").append(local.describe()).append('\n');
        out.append(" remote address: ").append(remote.describe()).append('\n');
        out.append(RULE);
        return out.toString();
    }

    /** Why {@link #readDepth()} is less than the TX depth, for the header; empty if it is not. */
    String readDepthNote() {
        return "";
    }

    /** Releases every endpoint, last opened first; a description of the first failure, or null. */
    private static String release(List<Endpoint> opened) {
        String problem = null;
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (RuntimeException e) {
                if (problem == null) {
                    problem = "releasing what it made failed: " + e.getMessage();
                }
            }
        }
        return problem;
    }

    /** What happened to the test's PD, MR, CQs and QPs on each HCA it opened an endpoint on. */
    private static String released(List<HcaDevice> hcas) {
        List<String> live = new ArrayList<>();
        List<String> gone = new ArrayList<>();
        for (HcaDevice hca : hcas) {
            (hca.state() == HcaDevice.State.STARTED ? live : gone).add(hca.name());
        }
        String text = "";
        if (!live.isEmpty()) {
            text = "the PD, MR, CQs and QP it made on " + String.join(" and ", live) + " were released";
        }
        if (!gone.isEmpty()) {
            text += (text.isEmpty() ? "the PD, MR, CQs and QP it made on " : ", and those on ") + String.join(" and ", gone)
                    + " went with " + (gone.size() == 1 ? "its device" : "their devices");
        }
        return text;
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
    static void verify(String prefix, long i, String suffix, ByteBuffer expected, int expectedOffset, ByteBuffer actual,
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
     * The bandwidth loop of write_bw and read_bw: RDMA operations of {@code -s} bytes, at most
     * {@code -t} in flight, each timed when its completion is polled, for {@code -n} iterations or
     * {@code -D} seconds; returns the perftest bandwidth lines.
     */
    String rdmaBandwidth(Endpoint local, Endpoint remote, Iterations run, WrOpcode opcode, String label) {
        int size = args.size();
        BandwidthMeter meter = new BandwidthMeter(run, args.iterations());
        Spinner spinner = new Spinner(command());
        long posted = 0;
        long completed = 0;
        run.start();
        while (completed < posted || run.mayStart(posted)) {
            while (posted - completed < args.depth() && run.mayStart(posted)
                    && local.postRdma(opcode, posted, 0, size, remote)) {
                posted++;
            }
            int k = local.poll(local.sendCq);
            if (k == 0) {
                spinner.idle(label, completed, posted);
                continue;
            }
            spinner.progress();
            meter.record(System.nanoTime(), k);
            completed += k;
            run.completed(k);
        }
        return meter.columns(size);
    }
}
