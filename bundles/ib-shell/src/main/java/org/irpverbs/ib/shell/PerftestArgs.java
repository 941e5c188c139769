package org.irpverbs.ib.shell;

import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of a perftest command, validated:
 * {@code <hca> <port> <remote hca> <remote port> [-s bytes] [-n iterations] [-t depth]}. Each
 * problem is an {@link IllegalArgumentException} whose message names the argument and what it takes
 * (the HCA names and ports are checked against the running HCAs by {@link Perftest}).
 *
 * @param command     the command's name, for messages
 * @param localHca    the HCA that initiates
 * @param localPort   its port
 * @param remoteHca   the HCA at the other end (may be the same one)
 * @param remotePort  its port
 * @param size        message size in bytes (-s)
 * @param iterations  messages to transfer (-n)
 * @param depth       work requests in flight (-t; 1 for latency)
 */
record PerftestArgs(String command, String localHca, int localPort, String remoteHca, int remotePort, int size,
        int iterations, int depth) {
    static final int MAX_SIZE = 8 << 20;
    static final int MAX_ITERATIONS = 1_000_000;
    static final int MAX_DEPTH = 1024;

    static String usage(String command) {
        return "usage: ib:" + command + " <hca> <port> <remote hca> <remote port> [-s <bytes 1.." + MAX_SIZE
                + ">] [-n <iterations 1.." + MAX_ITERATIONS + ">]"
                + (command.endsWith("lat") ? "" : " [-t <tx depth 1.." + MAX_DEPTH + ">]");
    }

    /**
     * @param latency a latency test: one message in flight, no -t
     * @throws IllegalArgumentException naming the bad argument
     */
    static PerftestArgs parse(String command, boolean latency, String... args) {
        List<String> positional = new ArrayList<>();
        int size = latency ? 2 : 65536;
        int iterations = 1000;
        int depth = latency ? 1 : 128;
        String[] given = args == null ? new String[0] : args;
        for (int i = 0; i < given.length; i++) {
            String a = given[i];
            if (a.startsWith("-") && a.length() > 1 && !Character.isDigit(a.charAt(1))) {
                if (i + 1 >= given.length) {
                    throw new IllegalArgumentException(a + " needs a value; " + usage(command));
                }
                String value = given[++i];
                switch (a) {
                    case "-s", "--size" -> size = number(a, value, 1, MAX_SIZE);
                    case "-n", "--iters" -> iterations = number(a, value, 1, MAX_ITERATIONS);
                    case "-t", "--tx-depth" -> {
                        if (latency) {
                            throw new IllegalArgumentException(a + " is not an option of ib:" + command
                                    + " (a latency test has one message in flight); " + usage(command));
                        }
                        depth = number(a, value, 1, MAX_DEPTH);
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a + "; " + usage(command));
                }
            } else {
                positional.add(a);
            }
        }
        if (positional.size() != 4) {
            throw new IllegalArgumentException("expected 4 arguments (hca, port, remote hca, remote port), got "
                    + positional.size() + (positional.isEmpty() ? "" : " " + positional) + "; " + usage(command));
        }
        int localPort = number("port", positional.get(1), 1, 254);
        int remotePort = number("remote port", positional.get(3), 1, 254);
        return new PerftestArgs(command, positional.get(0), localPort, positional.get(2), remotePort, size, iterations,
                Math.min(depth, iterations));
    }

    private static int number(String what, String value, int min, int max) {
        long n;
        try {
            n = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a whole number, was '" + value + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(what + " must be " + min + ".." + max + ", was " + n);
        }
        return (int) n;
    }
}
