package org.irpverbs.benchmarks.ibal;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.irpverbs.benchmarks.hca.CommandInterfaceHarness;
import org.irpverbs.benchmarks.hca.HcaRig;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.hca.core.HcaDriverOptions;
import org.irpverbs.hca.core.ResourceUsage;
import org.irpverbs.ibal.Ibal;
import org.irpverbs.ibal.IbalCa;
import org.irpverbs.ibal.IbalIds;
import org.irpverbs.ibal.IbalObjects;
import org.irpverbs.ibal.internal.IbalBusDriver;
import org.irpverbs.ibal.internal.HcaInterfaceBinding;
import org.irpverbs.ibal.internal.IbalCore;
import org.irpverbs.ibal.internal.mad.PortMadService;
import org.irpverbs.irp.CodePreloader;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DispatchRoutine;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.DriverRegistration;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.PnpState;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.Opcode;
import org.irpverbs.softhca.cmdif.CommandMode;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsHandle;
import org.osgi.util.promise.Promise;

/**
 * Issue 11 item 11: N concurrent clients each create an RC QP and bring it to RTS (CREATE_QP, then
 * MODIFY_QP RESET→INIT, INIT→RTR, RTR→RTS: {@link CommandInterfaceHarness.Client}, the same verbs
 * as the command-interface harness) <em>through IBAL</em>, against the same verbs sent
 * <em>straight to the HCA function device</em>, in the same run on the same stack:
 * <pre>
 *   through IBAL:  client ─verb─► ULP device (BenchUlp, on IBAL's IBA\IPoIB port child)
 *                            ─► port child (object tree, cancel-safe queue, new request)
 *                            ─► HCA function device ─► command interface ─► soft HCA
 *   direct:        client ─verb─► HCA function device ─► command interface ─► soft HCA
 * </pre>
 * Each path has its own PD and CQ (made through that path: IBAL admits only objects of the
 * client's own tree). One stack per section, built in-process without OSGi: a standalone I/O
 * manager (2 completion threads), the soft HCA bus with one single-port HCA under its real driver
 * (Tavor for the MT23108, mem-free for the MT25208), IBAL's bus driver bound to the HCA's
 * {@code irpverbs.hca} interface as ibal-bundle's tests bind it, and a small ULP driver on the port
 * child. Sections:
 * <ul>
 * <li>{@code queued} (IBAL's default mode, the HCA in {@link CommandMode#QUEUED}): the harness
 * thread issues the N clients as promise chains, each next verb sent from the previous one's
 * completion at DISPATCH; paths {@code direct} and {@code IBAL}.</li>
 * <li>{@code legacy-platform}, {@code legacy-virtual} (the HCA in
 * {@link CommandMode#LEGACY_BLOCKING}): each client is a platform (virtual, JDK 21+) thread that
 * calls each verb and blocks, as in the command-interface harness; path {@code direct}, plus
 * {@code IBAL} when IBAL's legacy mode is selected ({@code --ibal-modes legacy}, see
 * {@link IbalMode#LEGACY}). Legacy client threads are started before the clock and wait at a gate.</li>
 * </ul>
 * A round = N clients on one path, timed from the first request to the last client's completion
 * (taken by that completion, not by the waiting harness thread); the N QPs are then destroyed
 * through the same path, untimed, so every round starts from the same HCA state. At each N: one
 * unreported round per path, then rounds alternating direct/IBAL (ABBA: direct first in even
 * rounds, IBAL first in odd ones); the ratio is taken per round pair and reported as median and
 * range. CPU µs/QP: the CPU time the platform threads used during the round (completion threads,
 * engine, harness; legacy clients or virtual threads' carriers; not the timer thread, whose spin
 * before each deadline grows with the round's wall time) per QP, a figure that other processes'
 * load disturbs less than wall time does. Threads: the JVM's peak live platform threads during a round minus the live count once the
 * stack was up, before the warm-up (so the virtual threads' carriers count). Warm-up, not reported:
 * rounds of 100 clients on each path in turn until {@value #WARMUP_COMMANDS} commands ran on each.
 * After the last N, the paths' CQs and PDs are destroyed and the HCA's objects in use must be what
 * they were before the clients made any (IBAL's MAD services' own QP0/QP1 stay), and IBAL's object
 * tree for the ULP must be empty; a run that leaves anything behind fails.
 *
 * <p>Run: {@code java -Dirpverbs.blocking=off -cp benchmarks/target/benchmarks.jar
 * org.irpverbs.benchmarks.ibal.IbalQpSetupHarness [--clients 1,100,1000] [--models MT23108,MT25208]
 * [--latency-us 1000,10] [--log-outstanding 4] [--ibal-modes queued,legacy] [--legacy-clients platform,virtual]
 * [--rounds R] [--warmup-commands W]}
 */
public final class IbalQpSetupHarness {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** Commands run on each path of a stack before its first measured round. */
    static final long WARMUP_COMMANDS = 20_000;
    /** How long a PnP step, IBAL's queue or a cleanup may take before the run is declared wedged. */
    static final long STEP_SECONDS = 60;

    static {
        // IBAL's classes and the promise code its chains run at DISPATCH, loaded at PASSIVE first
        // (as the OSGi I/O manager loads a driver bundle's classes before it gets devices)
        CodePreloader.preload(IbalCore.class, Ibal.class, Promise.class, BenchUlpDriver.class);
    }

    private IbalQpSetupHarness() {}

    /**
     * How IBAL runs on a section's stack: {@link #QUEUED}, or IBAL's legacy mode (issue 11 item 6:
     * {@code mode=legacy}, WinOF's three worker threads, verbs issued from IBAL's workers at
     * PASSIVE, the HCA in legacy command mode), measured with the blocking clients.
     */
    enum IbalMode {
        /** IBAL's default: no threads of its own; the HCA queues command requests. */
        QUEUED("queued") {
            @Override
            CommandMode hcaCommandMode() {
                return CommandMode.QUEUED;
            }

            @Override
            IbalBusDriver newIbal(IoManager io) {
                return new IbalBusDriver(io, IbalCore.Lifecycle.NONE);
            }
        },
        /** WinOF's way, for the comparison; measured with the blocking (legacy) clients. */
        LEGACY("legacy") {
            @Override
            CommandMode hcaCommandMode() {
                return CommandMode.LEGACY_BLOCKING;
            }

            @Override
            IbalBusDriver newIbal(IoManager io) {
                return new IbalBusDriver(io, IbalCore.Lifecycle.NONE, org.irpverbs.ibal.internal.IbalMode.LEGACY);
            }
        };

        final String label;

        IbalMode(String label) {
            this.label = label;
        }

        /** The command mode the HCA drivers run in with IBAL in this mode. */
        abstract CommandMode hcaCommandMode();

        /** IBAL's bus driver in this mode, not yet added to the I/O manager. */
        abstract IbalBusDriver newIbal(IoManager io);

        static IbalMode parse(String s) {
            for (IbalMode m : values()) {
                if (m.label.equals(s)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("--ibal-modes takes queued and/or legacy, was " + s);
        }
    }

    /** The run's parameters. {@code rounds} 0 = the default per N. */
    record Options(int[] clients, List<HcaModel> models, long[] latenciesMicros, int logOutstanding,
            List<IbalMode> ibalModes, List<String> legacyClients, int rounds, long warmupCommands) {

        static Options parse(String... args) {
            int[] clients = {1, 100, 1000};
            List<HcaModel> models = List.of(HcaModel.MT23108, HcaModel.MT25208);
            long[] latencies = {1000, 10};
            int logOutstanding = 4;
            List<IbalMode> ibalModes = List.of(IbalMode.QUEUED, IbalMode.LEGACY);
            List<String> legacyClients = List.of("platform", "virtual");
            int rounds = 0;
            long warmup = WARMUP_COMMANDS;
            for (int i = 0; i < args.length; i += 2) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option " + args[i] + " needs a value");
                }
                String v = args[i + 1];
                try {
                    switch (args[i]) {
                        case "--clients" -> clients = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                        case "--models" -> models = Arrays.stream(v.split(",")).map(HcaModel::parse).toList();
                        case "--latency-us" -> latencies = Arrays.stream(v.split(",")).mapToLong(Long::parseLong).toArray();
                        case "--log-outstanding" -> logOutstanding = Integer.parseInt(v);
                        case "--ibal-modes" -> ibalModes = Arrays.stream(v.split(",")).map(IbalMode::parse).distinct().toList();
                        case "--legacy-clients" -> legacyClients = v.equals("none") ? List.of() : List.of(v.split(","));
                        case "--rounds" -> rounds = Integer.parseInt(v);
                        case "--warmup-commands" -> warmup = Long.parseLong(v);
                        default -> throw new IllegalArgumentException("unknown option " + args[i] + "; options: --clients, "
                                + "--models, --latency-us, --log-outstanding, --ibal-modes, --legacy-clients, --rounds, "
                                + "--warmup-commands");
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(args[i] + " takes numbers, was " + v);
                }
            }
            for (String c : legacyClients) {
                if (!c.equals("platform") && !c.equals("virtual")) {
                    throw new IllegalArgumentException("--legacy-clients takes platform, virtual or none, was " + c);
                }
            }
            if (Arrays.stream(clients).anyMatch(n -> n < 1) || clients.length == 0) {
                throw new IllegalArgumentException("--clients must be positive, was " + Arrays.toString(clients));
            }
            if (Arrays.stream(latencies).anyMatch(l -> l < 0 || l > 1_000_000) || latencies.length == 0) {
                throw new IllegalArgumentException("--latency-us must be 0..1000000, was " + Arrays.toString(latencies));
            }
            if (rounds < 0 || warmup < 0) {
                throw new IllegalArgumentException("--rounds and --warmup-commands must not be negative");
            }
            return new Options(clients, models, latencies, logOutstanding, ibalModes, legacyClients, rounds, warmup);
        }
    }

    /** Measured rounds per path at {@code clients} (each round of a pair is one direct and one IBAL round). */
    static int rounds(int clients) {
        return clients <= 1 ? 40 : clients <= 10 ? 20 : clients <= 100 ? 10 : 8;
    }

    /** One path's figures at one N. {@code rates} are QPs/s per round; opcodes are the last round's. */
    record PathResult(String path, double[] rates, double[] cpuMicrosPerQp, long commandsPerRound, int qpsPerRound,
            int threadsUsed, Map<Opcode, Long> opcodes) {
        double median() {
            return IbalQpSetupHarness.median(rates);
        }

        double cpuMedian() {
            return IbalQpSetupHarness.median(cpuMicrosPerQp);
        }
    }

    /** One result row: a section at one N, with the direct path and (if measured) the IBAL path. */
    record Row(HcaModel model, long latencyMicros, String section, int clients, int rounds, PathResult direct,
            PathResult ibal, String ibalAbsent) {
        /** IBAL/direct per round pair (same index = the two rounds of one pair). */
        double[] ratios() {
            double[] r = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                r[i] = ibal.rates()[i] / direct.rates()[i];
            }
            return r;
        }
    }

    /** What a stack held after its last round, against what it held before the clients made anything. */
    record Cleanup(String stack, Map<String, Integer> before, Map<String, Integer> after, List<IbalObjects> ibalObjects) {
        boolean clean() {
            return before.equals(after) && ibalObjects.stream().allMatch(o -> o.roots().isEmpty());
        }
    }

    record Report(List<Row> rows, List<Cleanup> cleanups) {
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("IbalQpSetupHarness: " + e.getMessage());
            System.exit(2);
            return;
        }
        Report report = run(options, System.out);
        print(report, options, System.out);
        for (Cleanup c : report.cleanups()) {
            if (!c.clean()) {
                System.err.println("IbalQpSetupHarness: " + c.stack() + " left objects behind: HCA in use " + c.before()
                        + " before, " + c.after() + " after; IBAL's trees " + c.ibalObjects());
                System.exit(1);
            }
        }
    }

    /** Runs every section the options select; progress goes to {@code out}. */
    static Report run(Options o, PrintStream out) throws InterruptedException {
        out.printf(Locale.ROOT, "JDK %s (%s), %d CPUs, load average at start %s%n", System.getProperty("java.version"),
                System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors(), loadAverage());
        List<Row> rows = new ArrayList<>();
        List<Cleanup> cleanups = new ArrayList<>();
        for (long latency : o.latenciesMicros()) {
            for (HcaModel model : o.models()) {
                for (IbalMode mode : o.ibalModes()) {
                    if (mode == IbalMode.QUEUED) {
                        runSection(o, model, latency, "queued", null, mode, rows, cleanups, out);
                    }
                }
                for (String kind : o.legacyClients()) {
                    String section = "legacy-" + kind;
                    ThreadFactory factory = CommandInterfaceHarness.factory(section);
                    if (factory == null) {
                        out.printf("%s %d us %s: skipped (no virtual threads on this JDK)%n", model, latency, section);
                        continue;
                    }
                    IbalMode ibal = o.ibalModes().contains(IbalMode.LEGACY) ? IbalMode.LEGACY : null;
                    runSection(o, model, latency, section, factory, ibal, rows, cleanups, out);
                }
            }
        }
        out.printf("load average at end %s%n", loadAverage());
        return new Report(rows, cleanups);
    }

    /**
     * One section on a fresh stack: the HCA in the section's command mode, IBAL in {@code ibal}'s
     * mode (null: no IBAL, the direct path only).
     */
    private static void runSection(Options o, HcaModel model, long latencyMicros, String section, ThreadFactory factory,
            IbalMode ibal, List<Row> rows, List<Cleanup> cleanups, PrintStream out) throws InterruptedException {
        CommandMode commandMode = factory == null ? CommandMode.QUEUED : CommandMode.LEGACY_BLOCKING;
        if (ibal != null && ibal.hcaCommandMode() != commandMode) {
            throw new IllegalStateException("IBAL " + ibal.label + " needs the HCA in " + ibal.hcaCommandMode()
                    + ", section " + section + " runs it in " + commandMode);
        }
        double capacity = (1 << o.logOutstanding()) * 1e6 / Math.max(1, latencyMicros);
        int most = Arrays.stream(o.clients()).max().orElse(1);
        // a round that has not finished by then is wedged: 30 s, or 5 times the ideal largest round
        long timeoutSeconds = Math.max(30, (long) Math.ceil(5 * 3.0 * Math.max(most, 100) / capacity));
        String label = model + " " + latencyMicros + " us " + section;
        try (Stack stack = new Stack(model, latencyMicros, o.logOutstanding(), commandMode, ibal, label)) {
            out.printf(Locale.ROOT, "%s: %s, command interface %s, %d outstanding, paths %s; load %s%n", label,
                    stack.hca.memoryMode(), stack.hca.statistics().commands().mode(),
                    stack.hca.statistics().commands().maxOutstanding(), stack.pathNames(), loadAverage());
            Runner runner = new Runner(stack, factory, timeoutSeconds);
            // warm-up: rounds of 100 clients on each path in turn until each ran the warm-up's commands
            long[] warmed = new long[stack.paths.size()];
            while (Arrays.stream(warmed).anyMatch(w -> w < o.warmupCommands())) {
                for (int p = 0; p < stack.paths.size(); p++) {
                    warmed[p] += runner.round(stack.paths.get(p), 100).commands;
                }
            }
            for (int n : o.clients()) {
                int rounds = o.rounds() > 0 ? o.rounds() : rounds(n);
                int paths = stack.paths.size();
                double[][] rates = new double[paths][rounds];
                double[][] cpu = new double[paths][rounds];
                int[] threads = new int[paths];
                long[] commands = new long[paths];
                RoundResult[] last = new RoundResult[paths];
                for (int p = 0; p < paths; p++) {
                    runner.round(stack.paths.get(p), n); // one unreported round at this N on each path
                }
                for (int r = 0; r < rounds; r++) {
                    for (int k = 0; k < paths; k++) {
                        int p = r % 2 == 0 ? k : paths - 1 - k; // ABBA
                        RoundResult result = runner.round(stack.paths.get(p), n);
                        rates[p][r] = result.qps * 1e9 / result.nanos;
                        cpu[p][r] = result.cpuNanos / 1e3 / result.qps;
                        threads[p] = Math.max(threads[p], result.threadsUsed);
                        commands[p] += result.commands;
                        last[p] = result;
                    }
                }
                PathResult[] results = new PathResult[paths];
                for (int p = 0; p < paths; p++) {
                    results[p] = new PathResult(stack.paths.get(p).name, rates[p], cpu[p], commands[p] / rounds, last[p].qps,
                            threads[p], last[p].opcodes);
                }
                String absent = paths > 1 ? null
                        : "not selected";
                Row row = new Row(model, latencyMicros, section, n, rounds, results[0], paths > 1 ? results[1] : null, absent);
                rows.add(row);
                out.printf(Locale.ROOT, "  N=%d: direct %.0f QPs/s, %d threads%s%n", n, results[0].median(),
                        results[0].threadsUsed(), row.ibal() == null ? ""
                                : String.format(Locale.ROOT, "; IBAL %.0f QPs/s, %d threads; IBAL/direct %.3f (median of %d pairs)",
                                        results[1].median(), results[1].threadsUsed(), median(row.ratios()), rounds));
            }
            cleanups.add(stack.cleanUp());
            stack.rig.checkClean();
        }
    }

    /** The outcome of one round. */
    record RoundResult(long nanos, long cpuNanos, int qps, long commands, Map<Opcode, Long> opcodes, int threadsUsed) {
    }

    /** Runs rounds on one stack: promise chains (factory null) or one blocking thread per client. */
    private static final class Runner {
        private final Stack stack;
        private final ThreadFactory factory;
        private final long timeoutSeconds;

        Runner(Stack stack, ThreadFactory factory, long timeoutSeconds) {
            this.stack = stack;
            this.factory = factory;
            this.timeoutSeconds = timeoutSeconds;
        }

        RoundResult round(ClientPath path, int n) throws InterruptedException {
            return factory == null ? queued(path, n) : legacy(path, n);
        }

        private RoundResult queued(ClientPath path, int n) throws InterruptedException {
            Map<Opcode, Long> before = stack.hca.statistics().commands().completedByOpcode();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            QueuePair[] qps = new QueuePair[n];
            AtomicInteger remaining = new AtomicInteger(n);
            AtomicLong end = new AtomicLong();
            CountDownLatch done = new CountDownLatch(1);
            THREADS.resetPeakThreadCount();
            Map<Long, Long> cpuStart = threadCpu();
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                int k = i;
                Promise<QueuePair> p = path.client.chain();
                p.onResolve(() -> {
                    Throwable failure = failureOf(p);
                    if (failure != null) {
                        failures.add(failure);
                    } else {
                        qps[k] = valueOf(p);
                    }
                    if (remaining.decrementAndGet() == 0) {
                        end.set(System.nanoTime());
                        done.countDown();
                    }
                });
            }
            if (!done.await(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new IllegalStateException(path.name + ": queued round of " + n + " clients hung: " + remaining.get()
                        + " never finished within " + timeoutSeconds + " s");
            }
            long cpu = cpuSince(cpuStart);
            int threadsUsed = THREADS.getPeakThreadCount() - stack.threadsBefore;
            RoundResult result = finish(path, before, failures, end.get() - start, cpu, n, threadsUsed);
            destroyAll(path, qps);
            return result;
        }

        private RoundResult legacy(ClientPath path, int n) throws InterruptedException {
            Map<Opcode, Long> before = stack.hca.statistics().commands().completedByOpcode();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            QueuePair[] qps = new QueuePair[n];
            AtomicInteger remaining = new AtomicInteger(n);
            AtomicLong end = new AtomicLong();
            CountDownLatch ready = new CountDownLatch(n);
            CountDownLatch gate = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            CountDownLatch destroyGate = new CountDownLatch(1);
            CountDownLatch destroyed = new CountDownLatch(n);
            ConcurrentLinkedQueue<Throwable> destroyFailures = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int k = i;
                Thread t = factory.newThread(() -> {
                    ready.countDown();
                    try {
                        gate.await();
                        qps[k] = path.client.blocking();
                    } catch (Throwable e) {
                        failures.add(e);
                    } finally {
                        if (remaining.decrementAndGet() == 0) {
                            end.set(System.nanoTime());
                            done.countDown();
                        }
                    }
                    // the round's destroys, untimed, once every client of the round is done
                    try {
                        destroyGate.await();
                        if (qps[k] != null) {
                            HcaRig.await(path.verbs.destroy(qps[k]), "DESTROY_QP");
                        }
                    } catch (Throwable e) {
                        destroyFailures.add(e);
                    } finally {
                        destroyed.countDown();
                    }
                });
                threads.add(t);
                t.start();
            }
            ready.await();
            THREADS.resetPeakThreadCount();
            Map<Long, Long> cpuStart = threadCpu();
            long start = System.nanoTime();
            gate.countDown();
            if (!done.await(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new IllegalStateException(path.name + ": legacy round of " + n + " clients hung: " + remaining.get()
                        + " never finished within " + timeoutSeconds + " s");
            }
            long cpu = cpuSince(cpuStart);
            int threadsUsed = THREADS.getPeakThreadCount() - stack.threadsBefore;
            RoundResult result = finish(path, before, failures, end.get() - start, cpu, n, threadsUsed);
            destroyGate.countDown();
            if (!destroyed.await(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new IllegalStateException(path.name + ": the destroys of a legacy round of " + n + " hung");
            }
            for (Thread t : threads) {
                t.join();
            }
            if (!destroyFailures.isEmpty()) {
                throw new IllegalStateException(path.name + ": " + destroyFailures.size() + " destroys failed, first: "
                        + destroyFailures.peek(), destroyFailures.peek());
            }
            return result;
        }

        private RoundResult finish(ClientPath path, Map<Opcode, Long> before, ConcurrentLinkedQueue<Throwable> failures,
                long nanos, long cpuNanos, int n, int threadsUsed) {
            if (!failures.isEmpty()) {
                throw new IllegalStateException(path.name + ": " + failures.size() + " clients failed, first: "
                        + failures.peek(), failures.peek());
            }
            Map<Opcode, Long> after = stack.hca.statistics().commands().completedByOpcode();
            Map<Opcode, Long> ran = new EnumMap<>(Opcode.class);
            long commands = 0;
            for (Map.Entry<Opcode, Long> e : after.entrySet()) {
                long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
                if (d > 0) {
                    ran.put(e.getKey(), d);
                    commands += d;
                }
            }
            return new RoundResult(nanos, cpuNanos, n, commands, ran, threadsUsed);
        }

        /** Destroys a round's QPs through the path that made them, all at once, and waits (PASSIVE, untimed). */
        private void destroyAll(ClientPath path, QueuePair[] qps) throws InterruptedException {
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            CountDownLatch destroyed = new CountDownLatch(qps.length);
            for (QueuePair qp : qps) {
                Promise<Void> p = path.verbs.destroy(qp);
                p.onResolve(() -> {
                    Throwable failure = failureOf(p);
                    if (failure != null) {
                        failures.add(failure);
                    }
                    destroyed.countDown();
                });
            }
            if (!destroyed.await(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new IllegalStateException(path.name + ": destroying " + qps.length + " QPs hung");
            }
            if (!failures.isEmpty()) {
                throw new IllegalStateException(path.name + ": " + failures.size() + " destroys failed, first: "
                        + failures.peek(), failures.peek());
            }
        }
    }

    /**
     * CPU time of every live platform thread, by id (the OS's per-thread clock, nanosecond
     * resolution; the process-wide figure the JVM offers counts in 10 ms ticks, too coarse for a round).
     */
    static Map<Long, Long> threadCpu() {
        Map<Long, Long> cpu = new java.util.HashMap<>();
        for (java.lang.management.ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            // not the I/O manager's timer thread: it spins the last 100 µs before each deadline
            // (irpverbs.timer.spinMicros), which at these latencies is most of the round on both paths
            if (info == null || info.getThreadName().endsWith(TIMER_THREAD_SUFFIX)) {
                continue;
            }
            long t = THREADS.getThreadCpuTime(info.getThreadId());
            if (t >= 0) {
                cpu.put(info.getThreadId(), t);
            }
        }
        return cpu;
    }

    /** How the framework's Timers name their thread ({@code <manager>-timer}). */
    static final String TIMER_THREAD_SUFFIX = "-timer";

    /** CPU time the platform threads used since {@code before} (a thread that ended meanwhile is not counted). */
    static long cpuSince(Map<Long, Long> before) {
        long used = 0;
        for (Map.Entry<Long, Long> e : threadCpu().entrySet()) {
            used += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return used;
    }

    private static Throwable failureOf(Promise<?> resolved) {
        try {
            return resolved.getFailure(); // resolved: does not wait
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        }
    }

    private static <T> T valueOf(Promise<T> resolved) {
        try {
            return resolved.getValue(); // resolved and not failed: does not wait
        } catch (InvocationTargetException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One way of sending the client's verbs, with that path's own PD and CQ. */
    static final class ClientPath {
        final String name;
        final Verbs verbs;
        final ProtectionDomain pd;
        final CompletionQueue cq;
        final CommandInterfaceHarness.Client client;

        ClientPath(String name, Verbs verbs, int lid) {
            this.name = name;
            this.verbs = verbs;
            this.pd = HcaRig.await(verbs.allocPd(), name + ": ALLOC_PD");
            this.cq = HcaRig.await(verbs.createCq(64), name + ": CREATE_CQ");
            this.client = new CommandInterfaceHarness.Client(verbs, pd, cq, lid);
        }

        void destroyObjects() {
            for (VerbsHandle h : List.<VerbsHandle>of(cq, pd)) {
                HcaRig.await(verbs.destroy(h), name + ": destroying " + h);
            }
        }
    }

    /**
     * A port driver as IPoIB will be one (the equivalent of ibal-bundle's test ULP driver): a
     * function driver for {@code IBA\IPoIB} whose device passes every internal request down its own
     * stack to IBAL's port child. The harness sends the IBAL path's verbs to its device.
     */
    static final class BenchUlpDriver implements Driver {
        private final DriverObject object = DriverObject.builder("BenchUlp")
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, DispatchRoutine.PASS_DOWN)
                .build();
        private final List<DeviceObject> devices = new java.util.concurrent.CopyOnWriteArrayList<>();


        @Override
        public DriverObject driverObject() {
            return object;
        }

        @Override
        public DeviceObject addDevice(IoManager io, DeviceObject physicalDevice) {
            DeviceObject fdo = io.createDevice(object, "benchulp-" + physicalDevice.name() + "#", DeviceObject.Kind.FUNCTION,
                    null);
            io.attach(fdo, physicalDevice);
            devices.add(fdo);
            return fdo;
        }

        /** Its one live device (the HCA has one port, so IBAL has one port child). */
        DeviceObject device() {
            List<DeviceObject> live = devices.stream().filter(d -> d.pnpState() != PnpState.DELETED).toList();
            if (live.size() != 1) {
                throw new IllegalStateException("BenchUlp should have one device on IBAL's port child, has " + live);
            }
            return live.get(0);
        }
    }

    /** One HCA stack, IBAL and the ULP on it (or the HCA alone), and the client paths. */
    static final class Stack implements AutoCloseable {
        final String label;
        final HcaInterfaceBinding interfaces = new HcaInterfaceBinding();
        final HcaRig rig;
        final HcaDevice hca;
        final IbalBusDriver ibal;
        final BenchUlpDriver ulp;
        final Map<String, Integer> before;
        final List<ClientPath> paths = new ArrayList<>();
        final int threadsBefore;
        private boolean ibalStopped;

        Stack(HcaModel model, long latencyMicros, int logOutstanding, CommandMode commandMode, IbalMode ibalMode,
                String label) {
            this.label = label;
            rig = new HcaRig("ibalqp", 2, interfaces);
            try {
                // classes A, B, C = latency/10, latency, latency*10 (the PRM's ratios); the workload is class B
                rig.configure(HcaRig.hca("hca", model, latencyMicros / 10, latencyMicros, latencyMicros * 10, logOutstanding,
                        2048, 1));
                rig.addBothDrivers(new HcaDriverOptions(commandMode, TimeUnit.SECONDS.toNanos(60))).startBus();
                hca = rig.hcaDevice("hca");
                if (ibalMode != null) {
                    ibal = ibalMode.newIbal(rig.io);
                    // as DS does: the interfaces are bound when the component activates; IBAL holds them until its device starts
                    interfaces.bind(ibal.core());
                    IoManagers.addDriver(rig.io, ibal, DriverRegistration.rootDriver());
                    settle();
                    ulp = new BenchUlpDriver();
                    rig.addDriver(ulp, 1, IbalIds.PORT_HARDWARE_ID);
                    settle();
                    awaitMadServices();
                } else {
                    ibal = null;
                    ulp = null;
                }
                before = inUse();
                Verbs direct = rig.verbs("hca");
                int lid = HcaRig.await(direct.queryPort(1), "QUERY_PORT").lid();
                paths.add(new ClientPath("direct", direct, lid));
                if (ulp != null) {
                    paths.add(new ClientPath("IBAL", new Verbs(rig.io, ulp.device()), lid));
                }
                threadsBefore = THREADS.getThreadCount();
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        List<String> pathNames() {
            return paths.stream().map(p -> p.name).toList();
        }

        /** The HCA's objects in use, by resource. */
        Map<String, Integer> inUse() {
            Map<String, Integer> m = new LinkedHashMap<>();
            for (Map.Entry<String, ResourceUsage> e : hca.statistics().resources().entrySet()) {
                m.put(e.getKey(), e.getValue().inUse());
            }
            return m;
        }

        /** Destroys the paths' CQs and PDs and reports what the HCA and IBAL hold then. */
        Cleanup cleanUp() {
            for (ClientPath p : paths) {
                p.destroyObjects();
            }
            List<IbalObjects> trees = ibal == null ? List.of() : ibal.core().objects();
            return new Cleanup(label, before, inUse(), trees);
        }

        /**
         * Lets the chains started so far run out: the system worker's items, IBAL's serial queue, the
         * PnP manager's queue; three rounds, since each may queue work for the others.
         */
        private void settle() {
            for (int round = 0; round < 3; round++) {
                CountDownLatch worker = new CountDownLatch(1);
                rig.io.queueWorkItem(worker::countDown);
                try {
                    if (!worker.await(STEP_SECONDS, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the system worker hung");
                    }
                    if (ibal != null) {
                        ibal.core().idle().toCompletableFuture().get(STEP_SECONDS, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while settling", e);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    throw new IllegalStateException("IBAL's queue did not go idle: " + e, e);
                }
                rig.idle();
            }
        }

        /** IBAL's MAD service on the port holds QP0/QP1 and their objects: the baseline is taken once it runs. */
        private void awaitMadServices() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STEP_SECONDS);
            for (IbalCa ca : ibal.core().cas()) {
                for (int port = 1; port <= ca.ports().size(); port++) {
                    while (true) {
                        Object service = ca.madService(port);
                        PortMadService.State state = service instanceof PortMadService m ? m.state() : null;
                        if (state == PortMadService.State.RUNNING) {
                            break;
                        }
                        if (state == PortMadService.State.FAILED || System.nanoTime() > deadline) {
                            throw new IllegalStateException("IBAL's MAD service on " + ca.name() + " port " + port + " is "
                                    + state);
                        }
                        try {
                            Thread.sleep(1);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException("interrupted", e);
                        }
                    }
                }
            }
        }

        @Override
        public void close() {
            try {
                if (ulp != null && rig.findDevice("hca") != null) {
                    rig.removeDriver(ulp);
                }
                if (ibal != null && !ibalStopped) {
                    ibalStopped = true;
                    interfaces.unbind();
                    HcaRig.await(IoManagers.removeDriver(rig.io, ibal), "removing IBAL");
                }
            } finally {
                rig.close();
            }
        }
    }

    // ---- the report ----

    static void print(Report report, Options o, PrintStream out) {
        out.println();
        out.println("| HCA | class B µs | clients | N | rounds | QPs/round | commands/round | direct QPs/s (median) | min..max "
                + "| IBAL QPs/s (median) | min..max | **IBAL/direct** (median of pairs) | pairs min..max | direct commands/s "
                + "| % of capacity | threads direct | **threads IBAL** | CPU µs/QP direct (no timer) | CPU µs/QP IBAL (no timer) |");
        out.println("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : report.rows()) {
            PathResult d = r.direct();
            double capacity = (1 << o.logOutstanding()) * 1e6 / Math.max(1, r.latencyMicros());
            double commandsPerQp = (double) d.commandsPerRound() / d.qpsPerRound();
            String ibal;
            String ibalThreads;
            String ibalCpu;
            if (r.ibal() == null) {
                ibal = "– | – | – (" + r.ibalAbsent() + ") | –";
                ibalThreads = "–";
                ibalCpu = "–";
            } else {
                PathResult i = r.ibal();
                double[] ratios = r.ratios();
                ibal = String.format(Locale.ROOT, "%.0f | %.0f..%.0f | **%.3f** | %.3f..%.3f", i.median(), min(i.rates()),
                        max(i.rates()), median(ratios), min(ratios), max(ratios));
                ibalThreads = "**" + i.threadsUsed() + "**";
                ibalCpu = String.format(Locale.ROOT, "%.1f", i.cpuMedian());
            }
            out.printf(Locale.ROOT, "| %s | %d | %s | %d | %d | %d | %d | %.0f | %.0f..%.0f | %s | %.0f | %.1f %% | %d | %s | %.1f | %s |%n",
                    name(r.model()), r.latencyMicros(), r.section(), r.clients(), r.rounds(), d.qpsPerRound(),
                    d.commandsPerRound(), d.median(), min(d.rates()), max(d.rates()), ibal, d.median() * commandsPerQp,
                    100 * d.median() * commandsPerQp / capacity, d.threadsUsed(), ibalThreads, d.cpuMedian(), ibalCpu);
        }
        out.println();
        for (Row r : report.rows()) {
            out.printf("%s %d us %s N=%d last round's commands: direct %s%s%n", r.model(), r.latencyMicros(), r.section(),
                    r.clients(), r.direct().opcodes(), r.ibal() == null ? "" : ", IBAL " + r.ibal().opcodes());
        }
        for (Cleanup c : report.cleanups()) {
            out.printf("%s: %s (HCA in use before the clients %s, after %s; IBAL trees %s)%n", c.stack(),
                    c.clean() ? "clean" : "LEFT OBJECTS BEHIND", c.before(), c.after(), c.ibalObjects());
        }
    }

    private static String name(HcaModel model) {
        return model == HcaModel.MT23108 ? "MT23108 (Tavor)" : model + " (mem-free)";
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }

    /** The 1-, 5- and 15-minute load averages (Linux), for the record of how busy the machine was. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
