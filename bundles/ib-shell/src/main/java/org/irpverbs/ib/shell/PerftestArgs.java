package org.irpverbs.ib.shell;

import org.irpverbs.ib.shell.CommandLine.Option;

/**
 * The arguments of a perftest command, validated:
 * {@code <hca> <port> <remote hca> <remote port> [-s bytes] [-n iterations | -D seconds] [-t depth]}.
 * Each problem is a {@link CommandFailure} of one line that names the argument and its range (the
 * HCA names and ports are checked against the running HCAs by {@link Perftest}).
 *
 * @param command          the command's name without its scope, e.g. {@code write_bw}
 * @param localHca         the HCA that initiates
 * @param localPort        its port
 * @param remoteHca        the HCA at the other end (may be the same one)
 * @param remotePort       its port
 * @param size             message size in bytes (-s)
 * @param iterations       messages to transfer (-n); ignored when {@code durationSeconds > 0}
 * @param requestedDepth   work requests in flight asked for (-t; 1 for latency)
 * @param durationSeconds  run for this long instead of {@code iterations} (-D), or 0
 */
record PerftestArgs(String command, String localHca, int localPort, String remoteHca, int remotePort, int size,
        int iterations, int requestedDepth, int durationSeconds) {
    static final int MAX_SIZE = 8 << 20;
    static final int MAX_ITERATIONS = 1_000_000;
    static final int MAX_DEPTH = 1024;
    static final int MAX_DURATION_SECONDS = 3600;
    static final int MAX_PORT = 254;

    /** What {@code ib:<command>} accepts. */
    static CommandLine.Spec spec(String command, boolean latency, String description) {
        Option size = new Option("-s", "--size", "bytes", "message size, 1.." + MAX_SIZE + " (default "
                + (latency ? 2 : 65536) + ")");
        Option iterations = new Option("-n", "--iters", "iterations", "messages to transfer, 1.." + MAX_ITERATIONS
                + " (default 1000)");
        Option duration = new Option("-D", "--duration", "seconds", "run for this long instead, 1.."
                + MAX_DURATION_SECONDS + " (not with -n)");
        Option depth = new Option("-t", "--tx-depth", "depth", "messages in flight, 1.." + MAX_DEPTH
                + " (default 128; at most -n)");
        String arguments = "<hca> <port> <remote hca> <remote port>";
        return latency ? new CommandLine.Spec("ib:" + command, arguments, 4, description, size, iterations, duration)
                : new CommandLine.Spec("ib:" + command, arguments, 4, description, size, iterations, duration, depth);
    }

    /** Parses {@code args} as {@code ib:<command>} takes them (-h is the caller's: it has no arguments to return). */
    static PerftestArgs parse(String command, boolean latency, String... args) {
        CommandLine line = spec(command, latency, "").parse(args);
        if (line.help) {
            throw line.spec.failure("-h asks for the usage, not a run");
        }
        return from(command, line);
    }

    /** The validated arguments of a parsed command line. */
    static PerftestArgs from(String command, CommandLine line) {
        int size = line.number("-s", command.endsWith("lat") ? 2 : 65536, 1, MAX_SIZE);
        int iterations = line.number("-n", 1000, 1, MAX_ITERATIONS);
        int depth = line.number("-t", command.endsWith("lat") ? 1 : 128, 1, MAX_DEPTH);
        int duration = line.number("-D", 0, 1, MAX_DURATION_SECONDS);
        if (line.has("-n") && line.has("-D")) {
            throw line.spec.usageFailure("-n and -D exclude each other (a run is -n iterations or -D seconds)");
        }
        int localPort = line.number("port", line.positional.get(1), 1, MAX_PORT);
        int remotePort = line.number("remote port", line.positional.get(3), 1, MAX_PORT);
        return new PerftestArgs(command, line.positional.get(0), localPort, line.positional.get(2), remotePort, size,
                iterations, depth, duration);
    }

    /** Work requests in flight: {@code -t}, but never more than a run of {@code -n} iterations has. */
    int depth() {
        return durationSeconds > 0 ? requestedDepth : Math.min(requestedDepth, iterations);
    }

    /** Why {@link #depth()} is less than {@code -t}, for the header; empty if it is not. */
    String depthNote() {
        return depth() < requestedDepth ? " (-t " + requestedDepth + " is more than the " + iterations + " iterations)"
                : "";
    }
}
