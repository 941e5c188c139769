package org.irpverbs.benchmarks.hca;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.hca.core.HcaDriverOptions;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.Opcode;
import org.irpverbs.softhca.cmdif.CommandMode;
import org.irpverbs.softhca.cmdif.CommandStatistics;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.Mtu;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.Verbs;
import org.osgi.util.promise.Promise;

/**
 * The RFC's core claim as a whole workload: N concurrent clients each create an RC QP and bring it
 * to RTS (CREATE_QP, then MODIFY_QP RESET→INIT, INIT→RTR, RTR→RTS: the three transition commands,
 * plus MAP_ICM whenever a QP opens a new ICM chunk on a mem-free HCA), against one HCA whose
 * command interface admits {@code 1 << logMaxOutstanding} commands at a time, every command of this
 * workload being class B. Capacity = outstanding bound ÷ class-B latency (16 ÷ 1 ms = 16,000
 * commands/s by default). Modes, each on a fresh HCA stack whose drivers run that command mode:
 * <ul>
 * <li>{@code queued} (CommandMode.QUEUED): the harness thread issues all N clients as promise
 * chains ({@code createQp().flatMap(modifyQp INIT).flatMap(RTR).flatMap(RTS)}) and waits for the
 * last; each next verb is sent from the previous one's completion at DISPATCH on the I/O manager's
 * completion threads; excess command requests wait in the command interface's IRP queue.</li>
 * <li>{@code legacy-platform} (CommandMode.LEGACY_BLOCKING): each client is a platform thread that
 * calls each verb and blocks (semaphore for a token, event for the completion, then the promise).</li>
 * <li>{@code legacy-virtual}: the same on virtual threads (JDK 21+; skipped where the JDK has none).</li>
 * </ul>
 * Legacy client threads are created and started before the clock starts and wait at a gate, so the
 * figure is the command interface's throughput, not thread start-up. One round = N clients, one QP
 * each, timed from the first request to the last completion; commands are counted by the command
 * interface (completed firmware commands, by opcode). Threads: the JVM's peak live (platform)
 * thread count during the round minus the live count once the HCA stack was up and before any
 * client existed (virtual threads are not platform threads; their carriers, which stay after the
 * warm-up, are). Warm-up, not reported: rounds of 100 clients until {@value #WARMUP_COMMANDS}
 * commands ran on the stack, then one round at each N before its measured rounds.
 *
 * <p>Run: {@code java -Dirpverbs.blocking=off -cp benchmarks/target/benchmarks.jar
 * org.irpverbs.benchmarks.hca.CommandInterfaceHarness [--clients 1,10,100,1000] [--models MT23108,MT25208]
 * [--modes queued,legacy-platform,legacy-virtual] [--latency-us 1000] [--log-outstanding 4]}
 */
public final class CommandInterfaceHarness {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /**
     * A round that has not finished by then is wedged: 10 s, or 5 times the ideal time of the
     * largest round if that is longer (the ideal N = 1000 round at 1 ms takes 0.19 s).
     */
    private static long ROUND_TIMEOUT_SECONDS = 10;
    /** Attempts (each on a fresh stack) at an N whose round wedged the stack. */
    private static final int ATTEMPTS = 2;

    private CommandInterfaceHarness() {}

    /** One result row. */
    record Row(HcaModel model, String mode, int clients, int rounds, double commandsPerRound, double[] rates,
            double[] perCommandMicros, int threadsUsed, int virtualThreads, int maxQueued, String opcodes) {
        double median(double[] v) {
            double[] s = v.clone();
            Arrays.sort(s);
            return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }
    }

    public static void main(String[] args) throws Exception {
        int[] clients = {1, 10, 100, 1000};
        List<HcaModel> models = List.of(HcaModel.MT23108, HcaModel.MT25208);
        List<String> modes = List.of("queued", "legacy-platform", "legacy-virtual");
        long latencyMicros = 1000;
        int logOutstanding = 4;
        for (int i = 0; i < args.length; i += 2) {
            String v = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--clients" -> clients = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                case "--models" -> models = Arrays.stream(v.split(",")).map(HcaModel::parse).toList();
                case "--modes" -> modes = List.of(v.split(","));
                case "--latency-us" -> latencyMicros = Long.parseLong(v);
                case "--log-outstanding" -> logOutstanding = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        int bound = 1 << logOutstanding;
        double capacity = bound * 1e6 / latencyMicros;
        int most = Arrays.stream(clients).max().orElse(1);
        ROUND_TIMEOUT_SECONDS = Math.max(10, (long) Math.ceil(5 * 3.0 * Math.max(most, 100) / capacity));
        System.out.printf(Locale.ROOT, "JDK %s (%s), %d CPUs; class B latency %d us, %d outstanding -> capacity %.0f commands/s%n",
                System.getProperty("java.version"), System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors(), latencyMicros, bound, capacity);
        List<Row> rows = new ArrayList<>();
        for (HcaModel model : models) {
            for (String mode : modes) {
                ThreadFactory factory = factory(mode);
                if (factory == null && !mode.equals("queued")) {
                    System.out.printf("%s %s: skipped (no virtual threads on this JDK)%n", model, mode);
                    continue;
                }
                rows.addAll(runMode(model, mode, factory, clients, latencyMicros, logOutstanding));
            }
        }
        System.out.println();
        System.out.println("| HCA | mode | N | rounds | commands/round | commands/s (median) | min..max | % of capacity "
                + "| per-command time (µs, median) | threads used (peak − before) | virtual threads | max IRP queue (sampled) | "
                + "commands by opcode (last round) |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for (Row r : rows) {
            if (r.opcodes().startsWith("FAILED")) {
                System.out.printf(Locale.ROOT, "| %s | %s | %d | %d | **%s** |||||||||%n",
                        r.model() == HcaModel.MT23108 ? "MT23108 (Tavor)" : r.model() + " (mem-free)", r.mode(), r.clients(),
                        r.rounds(), r.opcodes());
                continue;
            }
            double med = r.median(r.rates());
            double min = Arrays.stream(r.rates()).min().orElse(0);
            double max = Arrays.stream(r.rates()).max().orElse(0);
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %d | %.0f | %.0f | %.0f..%.0f | %.1f%% | %.0f | %d | %s | %s | %s |%n",
                    r.model() == HcaModel.MT23108 ? "MT23108 (Tavor)" : r.model() + " (mem-free)", r.mode(), r.clients(),
                    r.rounds(), r.commandsPerRound(), med, min, max, 100 * med / capacity,
                    r.median(r.perCommandMicros()), r.threadsUsed(), r.virtualThreads() == 0 ? "0" : "" + r.virtualThreads(),
                    r.mode().equals("queued") ? "" + r.maxQueued() : "n/a", r.opcodes());
        }
    }

    /** Platform threads, virtual threads (null where the JDK has none), or none for the queued mode. */
    public static ThreadFactory factory(String mode) {
        switch (mode) {
            case "queued":
                return null;
            case "legacy-platform":
                return r -> {
                    Thread t = new Thread(r);
                    t.setDaemon(true);
                    return t;
                };
            case "legacy-virtual":
                try {
                    // Thread.ofVirtual().factory(), by reflection: this module is compiled for Java 17
                    Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
                    Method factory = Class.forName("java.lang.Thread$Builder").getMethod("factory");
                    return (ThreadFactory) factory.invoke(builder);
                } catch (ReflectiveOperationException e) {
                    return null;
                }
            default:
                throw new IllegalArgumentException("mode must be queued, legacy-platform or legacy-virtual, was " + mode);
        }
    }

    /** Commands run before the first measured round of a stack. */
    static final long WARMUP_COMMANDS = 20_000;

    static int rounds(int clients) {
        return clients <= 1 ? 60 : clients <= 10 ? 20 : clients <= 100 ? 10 : 6;
    }

    /** One HCA stack whose drivers run one command mode, with what every client shares. */
    private static final class Stack {
        final HcaRig rig;
        final HcaDevice hca;
        final Client client;

        Stack(HcaModel model, String mode, long latencyMicros, int logOutstanding) {
            CommandMode commandMode = mode.equals("queued") ? CommandMode.QUEUED : CommandMode.LEGACY_BLOCKING;
            rig = new HcaRig("cmdif-" + mode, 2);
            // classes A, B, C = latency/10, latency, latency*10 (the PRM's ratios); only class B is in the workload
            rig.configure(HcaRig.hca("hca", model, Math.max(1, latencyMicros / 10), latencyMicros, latencyMicros * 10,
                    logOutstanding, 2048, 1));
            rig.addBothDrivers(new HcaDriverOptions(commandMode, TimeUnit.SECONDS.toNanos(60))).startBus();
            hca = rig.hcaDevice("hca");
            Verbs verbs = rig.verbs("hca");
            int lid = HcaRig.await(verbs.queryPort(1), "QUERY_PORT").lid();
            ProtectionDomain pd = HcaRig.await(verbs.allocPd(), "ALLOC_PD");
            CompletionQueue cq = HcaRig.await(verbs.createCq(64), "CREATE_CQ");
            client = new Client(verbs, pd, cq, lid);
            System.out.printf("%s %s: %s, command interface %s, %d outstanding%n", model, mode, hca.memoryMode(),
                    hca.statistics().commands().mode(), hca.statistics().commands().maxOutstanding());
        }
    }

    private static List<Row> runMode(HcaModel model, String mode, ThreadFactory factory, int[] clients, long latencyMicros,
            int logOutstanding) throws InterruptedException {
        List<Row> rows = new ArrayList<>();
        Stack stack = null;
        int before = 0;
        try {
            int attempt = 0;
            for (int k = 0; k < clients.length; k++) {
                int n = clients[k];
                int rounds = rounds(n);
                double[] rates = new double[rounds];
                double[] perCommand = new double[rounds];
                long commands = 0;
                int threadsUsed = 0;
                int maxQueue = 0;
                RoundResult last = null;
                try {
                    if (stack == null) {
                        stack = new Stack(model, mode, latencyMicros, logOutstanding);
                        // before the warm-up, so that threads it leaves behind (virtual threads' carriers) count
                        before = THREADS.getThreadCount();
                        if (mode.equals("queued")) {
                            timerDelay(stack.rig, latencyMicros);
                        }
                        // warm-up (JIT, the first ICM chunks), not reported: rounds of 100 clients until
                        // WARMUP_COMMANDS commands ran, enough for C2 to compile the whole command path
                        // (3 rounds, the earlier warm-up, left the first N = 1000 round 5-10 % slower)
                        long warmed = 0;
                        while (warmed < WARMUP_COMMANDS) {
                            warmed += round(stack.hca, stack.client, 100, factory).commands;
                        }
                    }
                    round(stack.hca, stack.client, n, factory); // one unreported round at this N
                    for (int r = 0; r < rounds; r++) {
                        THREADS.resetPeakThreadCount();
                        last = round(stack.hca, stack.client, n, factory);
                        threadsUsed = Math.max(threadsUsed, THREADS.getPeakThreadCount() - before);
                        rates[r] = last.commands * 1e9 / last.nanos;
                        maxQueue = Math.max(maxQueue, last.maxQueue);
                        commands += last.commands;
                    }
                } catch (IllegalStateException failure) {
                    // the stack is wedged (a client never woke): record it, abandon the stack, go on with a fresh one
                    CommandStatistics stats = stack.hca.statistics().commands();
                    String why = failure.getMessage() + "; command interface: " + stats.outstanding() + " outstanding, "
                            + stats.queued() + " queued, " + stats.timedOut() + " timed out, " + stats.staleCompletions()
                            + " stale completions";
                    attempt++;
                    System.out.printf("  N=%d: attempt %d FAILED: %s%n", n, attempt, why);
                    stack.rig.abandon();
                    stack = null;
                    if (attempt < ATTEMPTS) {
                        k--; // the same N again on a fresh stack
                    } else {
                        rows.add(new Row(model, mode, n, rounds, 0, new double[] {0}, new double[] {0},
                                THREADS.getPeakThreadCount() - before, 0, 0, "FAILED " + attempt + " of " + attempt
                                + " attempts: " + why));
                        attempt = 0;
                    }
                    continue;
                }
                String retried = attempt == 0 ? "" : " (after " + attempt + " failed attempt" + (attempt > 1 ? "s" : "")
                        + " on a wedged stack)";
                attempt = 0;
                // the time one command holds a token (post to next post on that token): one client's commands
                // run one after another; N clients keep min(N, bound) tokens busy
                double busy = Math.min(n, 1 << logOutstanding);
                for (int r = 0; r < rounds; r++) {
                    perCommand[r] = busy * 1e6 / rates[r];
                }
                rows.add(new Row(model, mode, n, rounds, (double) commands / rounds, rates, perCommand, threadsUsed,
                        mode.equals("legacy-virtual") ? n : 0, maxQueue, last.opcodes + retried));
                System.out.printf(Locale.ROOT, "  N=%d: %.0f commands/s (median of %d), threads used %d, %s%n", n,
                        rows.get(rows.size() - 1).median(rates), rounds, threadsUsed, last.opcodes);
            }
            if (stack != null) {
                stack.rig.checkClean();
            }
        } finally {
            if (stack != null) {
                stack.rig.close();
            }
        }
        return rows;
    }

    /**
     * A diagnostic printed with the results: how late the I/O manager's timer (the one the soft HCA's
     * firmware latency uses) runs a {@code latency}-µs timer's work, one timer at a time.
     */
    private static void timerDelay(HcaRig rig, long latencyMicros) throws InterruptedException {
        int samples = 200;
        long[] late = new long[samples];
        for (int i = 0; i < samples; i++) {
            CountDownLatch fired = new CountDownLatch(1);
            long[] at = new long[1];
            long t0 = System.nanoTime();
            rig.io.schedule(latencyMicros * 1000, () -> {
                at[0] = System.nanoTime();
                fired.countDown();
            });
            fired.await();
            late[i] = at[0] - t0 - latencyMicros * 1000;
        }
        Arrays.sort(late);
        System.out.printf(Locale.ROOT, "  timer: a %d us io.schedule runs its DPC late by %.0f us (median), %.0f us (p90), %.0f us (max)%n",
                latencyMicros, late[samples / 2] / 1e3, late[samples * 9 / 10] / 1e3, late[samples - 1] / 1e3);
    }

    record RoundResult(long nanos, long commands, String opcodes, int maxQueue) {
    }

    /** One round: {@code n} clients, one QP to RTS each; timed from the first request to the last completion. */
    private static RoundResult round(HcaDevice hca, Client client, int n, ThreadFactory factory) throws InterruptedException {
        Map<Opcode, Long> before = hca.statistics().commands().completedByOpcode();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(n);
        long start;
        int maxQueue = 0;
        if (factory == null) {
            start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                Promise<QueuePair> p = client.chain();
                p.onResolve(() -> {
                    try {
                        Throwable failure = p.getFailure(); // resolved: does not wait
                        if (failure != null) {
                            failures.add(failure);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    done.countDown();
                });
            }
            // sample the command interface's IRP queue every 0.5 ms while the clients run
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ROUND_TIMEOUT_SECONDS);
            while (!done.await(500, TimeUnit.MICROSECONDS)) {
                maxQueue = Math.max(maxQueue, hca.statistics().commands().queued());
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("queued round of " + n + " clients hung");
                }
            }
        } else {
            CountDownLatch ready = new CountDownLatch(n);
            CountDownLatch gate = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Thread t = factory.newThread(() -> {
                    ready.countDown();
                    try {
                        gate.await();
                        client.blocking();
                    } catch (Throwable e) {
                        failures.add(e);
                    } finally {
                        done.countDown();
                    }
                });
                threads.add(t);
                t.start();
            }
            ready.await();
            start = System.nanoTime();
            gate.countDown();
            if (!done.await(ROUND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("legacy round of " + n + " clients hung: " + done.getCount()
                        + " clients never finished within " + ROUND_TIMEOUT_SECONDS + " s");
            }
            long end = System.nanoTime();
            for (Thread t : threads) {
                t.join();
            }
            return finish(hca, before, failures, end - start, 0);
        }
        return finish(hca, before, failures, System.nanoTime() - start, maxQueue);
    }

    private static RoundResult finish(HcaDevice hca, Map<Opcode, Long> before, ConcurrentLinkedQueue<Throwable> failures,
            long nanos, int maxQueue) {
        if (!failures.isEmpty()) {
            throw new IllegalStateException(failures.size() + " clients failed, first: " + failures.peek(), failures.peek());
        }
        Map<Opcode, Long> after = hca.statistics().commands().completedByOpcode();
        long commands = 0;
        StringBuilder ops = new StringBuilder();
        for (Map.Entry<Opcode, Long> e : after.entrySet()) {
            long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (d > 0) {
                commands += d;
                ops.append(ops.length() == 0 ? "" : " ").append(e.getKey()).append('×').append(d);
            }
        }
        return new RoundResult(nanos, commands, ops.toString(), maxQueue);
    }

    /**
     * What each client does: one RC QP from nothing to RTS (connected to itself; no traffic follows).
     * Public so that the IBAL harness sends exactly these verbs, to the HCA and through IBAL.
     */
    public record Client(Verbs verbs, ProtectionDomain pd, CompletionQueue cq, int lid) {

        public Promise<QueuePair> create() {
            return verbs.createQp(pd, QpType.RC, cq, cq, 1, 1, 1, 0, true);
        }

        public static QpAttributes init() {
            QpAttributes a = new QpAttributes().toState(QpState.INIT).set(QpAttributes.PKEY_INDEX).set(QpAttributes.PORT)
                    .set(QpAttributes.ACCESS_FLAGS);
            a.port = 1;
            a.accessFlags = AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_WRITE;
            return a;
        }

        public QpAttributes rtr(QueuePair qp) {
            QpAttributes a = new QpAttributes().toState(QpState.RTR).set(QpAttributes.AV).set(QpAttributes.PATH_MTU)
                    .set(QpAttributes.DEST_QPN).set(QpAttributes.RQ_PSN).set(QpAttributes.MAX_DEST_RD_ATOMIC)
                    .set(QpAttributes.MIN_RNR_TIMER);
            a.destLid = lid;
            a.pathMtu = Mtu.MTU_2048;
            a.destQpn = qp.number();
            a.rqPsn = 0;
            a.maxDestReadAtomic = 1;
            a.minRnrTimer = 1;
            return a;
        }

        public static QpAttributes rts() {
            QpAttributes a = new QpAttributes().toState(QpState.RTS).set(QpAttributes.SQ_PSN).set(QpAttributes.TIMEOUT)
                    .set(QpAttributes.RETRY_CNT).set(QpAttributes.RNR_RETRY).set(QpAttributes.MAX_QP_RD_ATOMIC);
            a.sqPsn = 0;
            a.timeout = 14;
            a.retryCount = 7;
            a.rnrRetry = 7;
            a.maxReadAtomic = 1;
            return a;
        }

        /** The queued client: a promise chain; nothing waits. */
        public Promise<QueuePair> chain() {
            return create().flatMap(qp -> verbs.modifyQp(qp, init())
                    .flatMap(v -> verbs.modifyQp(qp, rtr(qp)))
                    .flatMap(v -> verbs.modifyQp(qp, rts()))
                    .map(v -> qp));
        }

        /** The legacy client: the same verbs, each waited for on the client's own thread; returns the QP at RTS. */
        public QueuePair blocking() {
            QueuePair qp = HcaRig.await(create(), "CREATE_QP");
            HcaRig.await(verbs.modifyQp(qp, init()), "RESET->INIT");
            HcaRig.await(verbs.modifyQp(qp, rtr(qp)), "INIT->RTR");
            HcaRig.await(verbs.modifyQp(qp, rts()), "RTR->RTS");
            return qp;
        }
    }
}
