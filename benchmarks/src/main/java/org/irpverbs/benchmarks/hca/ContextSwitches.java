package org.irpverbs.benchmarks.hca;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A diagnostic for the speed-path benchmarks: voluntary context switches (a thread parking or
 * blocking, then being woken) and involuntary ones (preempted) of the soft HCA engine threads and
 * of the benchmark thread, from Linux's {@code /proc/self/task/<tid>/status}, and their CPU time
 * (ThreadMXBean), counted over the measurement iterations and divided by the operations done
 * meanwhile. A voluntary switch of an
 * engine thread is one park and one wake-up: what an engine hop costs when the engine had run dry.
 * Elsewhere (no /proc) it reports nothing.
 *
 * <p>Not thread-safe: used by the benchmark thread in setup and tear-down methods.
 */
final class ContextSwitches {
    private final Map<String, long[]> total = new TreeMap<>();
    private Map<String, long[]> start;
    private long operations;

    /**
     * Switches and CPU time of the engine threads ({@code <hca> engine}), the baseline's relays and
     * the calling thread: {voluntary, involuntary, CPU ns}.
     */
    static Map<String, long[]> snapshot() {
        Map<String, long[]> out = new TreeMap<>();
        Map<String, Long> cpu = new TreeMap<>();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (info != null && (info.getThreadName().startsWith("softhca-") || info.getThreadName().startsWith("relay-"))) {
                String n = info.getThreadName();
                cpu.put(n.startsWith("softhca-") ? n.substring(8, n.lastIndexOf('-')) + " engine" : n,
                        mx.getThreadCpuTime(info.getThreadId()));
            }
        }
        cpu.put("benchmark thread", mx.getCurrentThreadCpuTime());
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return out;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tasks)) {
            for (Path task : dirs) {
                try {
                    String comm = Files.readString(task.resolve("comm")).trim();
                    if (comm.startsWith("softhca-") && comm.lastIndexOf('-') > 8) {
                        // "softhca-tavor-engine", which Linux keeps as "softhca-tavor-e"
                        out.put(comm.substring(8, comm.lastIndexOf('-')) + " engine", read(task.resolve("status")));
                    } else if (comm.startsWith("relay-")) {
                        out.put(comm, read(task.resolve("status")));
                    }
                } catch (IOException gone) {
                    // the thread ended meanwhile
                }
            }
            out.put("benchmark thread", read(Path.of("/proc/thread-self/status")));
        } catch (IOException e) {
            return new TreeMap<>();
        }
        out.forEach((name, v) -> v[2] = cpu.getOrDefault(name, 0L));
        return out;
    }

    private static long[] read(Path status) throws IOException {
        long[] v = new long[3];
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
                v[0] = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                v[1] = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return v;
    }

    /** At the start of a measurement iteration. */
    void begin() {
        start = snapshot();
    }

    /** At its end, with the operations the iteration did. */
    void end(long ops) {
        if (start == null) {
            return;
        }
        for (Map.Entry<String, long[]> e : snapshot().entrySet()) {
            long[] s = start.get(e.getKey());
            if (s != null) {
                long[] t = total.computeIfAbsent(e.getKey(), k -> new long[3]);
                for (int i = 0; i < 3; i++) {
                    t[i] += e.getValue()[i] - s[i];
                }
            }
        }
        operations += ops;
        start = null;
    }

    /** e.g. {@code context switches per op over 1000 measured ops (voluntary/involuntary): tavor engine 1.02/0.01; ...}. */
    String report() {
        if (operations == 0 || total.isEmpty()) {
            return "context switches: not available";
        }
        StringBuilder s = new StringBuilder("per op over " + operations
                + " measured ops: context switches voluntary/involuntary, CPU ns:");
        for (Map.Entry<String, long[]> e : total.entrySet()) {
            s.append(String.format(Locale.ROOT, " %s %.2f/%.2f %.0f ns;", e.getKey(), (double) e.getValue()[0] / operations,
                    (double) e.getValue()[1] / operations, (double) e.getValue()[2] / operations));
        }
        return s.toString();
    }
}
