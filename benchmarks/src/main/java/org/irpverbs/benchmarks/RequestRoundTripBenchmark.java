package org.irpverbs.benchmarks;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.irpverbs.irp.CompletionRoutine;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DispatchRoutine;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.osgi.util.promise.Promise;

/**
 * One request through a three-layer stack and its completion back up, against the baselines the
 * issue compares with, all measured in the same run:
 * <pre>
 *   originator ──► top (pass-through) ──► middle (pass-through) ──► bottom (completes)
 *              ◄── listener ◄── completion routine ◄── completion routine ◄──┘
 * </pre>
 * <ul>
 * <li>{@link #irpCompletedSynchronously}: the bottom completes inside its dispatch routine. The
 * caller reuses one {@link Irp} ({@link Irp#reuse()}, then fills the next location again), so a
 * request allocates nothing.</li>
 * <li>{@link #irpPendedThenCompletedFromAnotherThread}: the bottom marks the request pending and
 * hands it to a spinning completer thread, which completes it (completion routines and listener
 * run there); the benchmark thread spins until the listener has flagged it. Same reuse.</li>
 * <li>{@link #directInterfaceCall}: the same shape as plain Java interfaces: three layers calling
 * down and a completion callback back up, with no allocation.</li>
 * <li>{@link #completableFutureThreeStages}: {@code new CompletableFuture}, three
 * {@code thenApply}, {@code complete}, {@code join}, all on the benchmark thread.</li>
 * <li>{@link #completableFutureThreeStagesCompletedFromAnotherThread}: the same chain completed by
 * the same kind of spinning completer thread: the fair baseline for the pended IRP.</li>
 * <li>{@link #promiseOfSynchronousIrpThreeMaps}: {@link IoManager#submit} of the synchronous
 * stack's request and three {@code map} on the promise it returns (already resolved: the maps run
 * on the benchmark thread), then {@code getValue}; against {@link #completableFutureThreeStages}.</li>
 * <li>{@link #promiseOfPendedIrpThreeMapsCompletedFromAnotherThread}: the same chain on the pended
 * stack, completed by the spinning completer: each map runs as a DPC on the completion pool, the
 * benchmark thread spins on {@code isDone()}; against
 * {@link #completableFutureThreeStagesCompletedFromAnotherThread}.</li>
 * </ul>
 * Each state is only set up by the benchmarks that use it, so no completer thread spins while a
 * single-threaded variant is measured. Nothing spins unboundedly: a wait longer than 10 s fails.
 *
 * <p>The forked JVMs run with {@code irpverbs.blocking=off}: the strict {@code fail} mode of the
 * blocking detector reads the JVM's per-thread wait counters on every DISPATCH span, which is a test
 * aid, not part of the request path being measured. They also get a fixed, pre-touched 1 GB heap,
 * so that heap sizing and first-touch page faults cannot differ from one fork to the next (the
 * allocating CompletableFuture baselines are the ones that could notice); a check without it
 * gave the same figures.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dirpverbs.blocking=off", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@Threads(1)
public class RequestRoundTripBenchmark {
    static final int IOCTL = 0x0022_2004;
    static final long INFORMATION = 42;

    /**
     * Both pass-through layers use this one routine; it allocates nothing. The framework carries
     * "pending returned" up the stack itself (Irp.unwind), so the routine has nothing to do.
     */
    static final CompletionRoutine CONTINUE = (device, irp, context) -> CompletionRoutine.CONTINUE_COMPLETION;

    /** copyCurrentToNext + completion routine + callDriver on the lower device. */
    static final DispatchRoutine PASS_THROUGH = (device, irp) -> {
        irp.copyCurrentToNext();
        irp.setCompletionRoutine(CONTINUE, null);
        return device.lowerDevice().callDriver(irp);
    };

    /** Builds bottom + two pass-through filters; returns the bottom (physical) device. */
    static DeviceObject threeLayerStack(IoManager io, DispatchRoutine bottom) {
        DriverObject bottomDriver = DriverObject.builder("bench-bottom")
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, bottom).build();
        DriverObject filterDriver = DriverObject.builder("bench-filter")
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, PASS_THROUGH).build();
        DeviceObject pdo = io.createPhysicalDevice(bottomDriver, "bench-bottom", List.of("BENCH\\BOTTOM"), null);
        io.attach(io.createDevice(filterDriver, "bench-middle", DeviceObject.Kind.FILTER, null), pdo);
        io.attach(io.createDevice(filterDriver, "bench-top", DeviceObject.Kind.FILTER, null), pdo);
        if (pdo.attachedTop().stackSize() != 3) {
            throw new IllegalStateException("expected a three-layer stack, got " + pdo.attachedTop().stackSize());
        }
        return pdo;
    }

    /** The per-request work of the IoReuseIrp pattern: reset, fill the first location, send. */
    static int resend(IoManager io, DeviceObject target, Irp irp) {
        irp.reuse();
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL).setIoControlCode(IOCTL);
        return io.send(target, irp);
    }

    static void checkClean(Irp irp) {
        if (DriverVerifier.bugCount() != 0) {
            throw new IllegalStateException("the driver verifier reported bugs: " + DriverVerifier.recentBugs());
        }
        if (irp != null && irp.isActive()) {
            throw new IllegalStateException("a request is still in flight at tear-down: " + irp);
        }
    }

    // ---------------------------------------------------------------- a. IRP, synchronous

    @State(Scope.Thread)
    public static class SyncIrpStack {
        IoManager io;
        DeviceObject pdo;
        Irp irp;
        long completions;

        @Setup(Level.Trial)
        public void setUp() {
            DriverVerifier.reset();
            io = IoManagers.create("bench-sync", 2, null);
            pdo = threeLayerStack(io, (device, request) -> {
                request.complete(NtStatus.SUCCESS, INFORMATION);
                return NtStatus.SUCCESS;
            });
            irp = Irp.forDevice(pdo).setCompletionListener(done -> completions++);
            int status = resend(io, pdo, irp);
            if (status != NtStatus.SUCCESS || !irp.isCompleted() || irp.information() != INFORMATION || completions != 1) {
                throw new IllegalStateException("synchronous stack does not work: " + irp);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            checkClean(irp);
            IoManagers.shutdown(io);
        }
    }

    @Benchmark
    public long irpCompletedSynchronously(SyncIrpStack s) {
        Irp irp = s.irp;
        int status = resend(s.io, s.pdo, irp);
        if (status != NtStatus.SUCCESS) {
            throw new IllegalStateException("unexpected status " + NtStatus.name(status));
        }
        return irp.information();
    }

    // ---------------------------------------------------------------- b. IRP, pended, completed elsewhere

    @State(Scope.Thread)
    public static class PendedIrpStack {
        IoManager io;
        DeviceObject pdo;
        Irp irp;
        SpinningCompleter<Irp> completer;
        volatile boolean completed;

        @Setup(Level.Trial)
        public void setUp() {
            DriverVerifier.reset();
            io = IoManagers.create("bench-pended", 2, null);
            completer = new SpinningCompleter<>("bench-irp-completer", r -> r.complete(NtStatus.SUCCESS, INFORMATION));
            pdo = threeLayerStack(io, (device, request) -> {
                request.markPending();
                completer.handOff(request);
                return NtStatus.PENDING;
            });
            irp = Irp.forDevice(pdo).setCompletionListener(done -> completed = true);
            roundTrip(this);
            if (!irp.pendingReturned() || irp.information() != INFORMATION) {
                throw new IllegalStateException("pended stack does not work: " + irp);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            completer.stop();
            checkClean(irp);
            IoManagers.shutdown(io);
        }
    }

    static long roundTrip(PendedIrpStack s) {
        Irp irp = s.irp;
        s.completed = false;
        int status = resend(s.io, s.pdo, irp);
        if (status != NtStatus.PENDING) {
            throw new IllegalStateException("unexpected status " + NtStatus.name(status));
        }
        int spins = 0;
        long start = 0;
        while (!s.completed) {
            start = SpinningCompleter.pause(++spins, start, "completion of the pended request", s.completer);
        }
        return irp.information();
    }

    @Benchmark
    public long irpPendedThenCompletedFromAnotherThread(PendedIrpStack s) {
        return roundTrip(s);
    }

    // ---------------------------------------------------------------- c. the promise view

    static Promise<Long> submitThreeMaps(IoManager io, DeviceObject target, Irp irp) {
        irp.reuse();
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL).setIoControlCode(IOCTL);
        return io.submit(target, irp).map(done -> done.information() + 1).map(x -> x + 1).map(x -> x * 2);
    }

    static long valueOf(Promise<Long> p) {
        try {
            return p.getValue();
        } catch (Exception e) {
            throw new IllegalStateException("the promise failed", e);
        }
    }

    @Benchmark
    public long promiseOfSynchronousIrpThreeMaps(SyncIrpStack s) {
        Promise<Long> p = submitThreeMaps(s.io, s.pdo, s.irp);
        if (!p.isDone()) {
            throw new IllegalStateException("a synchronously completed request left its promise chain unresolved");
        }
        return valueOf(p);
    }

    @Benchmark
    public long promiseOfPendedIrpThreeMapsCompletedFromAnotherThread(PendedIrpStack s) {
        Promise<Long> p = submitThreeMaps(s.io, s.pdo, s.irp);
        int spins = 0;
        long start = 0;
        while (!p.isDone()) {
            start = SpinningCompleter.pause(++spins, start, "the promise chain of the pended request", s.completer);
        }
        return valueOf(p);
    }

    // ---------------------------------------------------------------- d. baselines

    /** A layer of the direct-call baseline. */
    interface Layer {
        void call(int request, Completion up);
    }

    /** The completion callback of the direct-call baseline. */
    interface Completion {
        void completed(int result);
    }

    /** Remembers its caller like a stack location does, passes down, and adds to the result on the way up. */
    static final class PassThroughLayer implements Layer, Completion {
        final Layer lower;
        private Completion up;

        PassThroughLayer(Layer lower) {
            this.lower = lower;
        }

        @Override
        public void call(int request, Completion caller) {
            up = caller;
            lower.call(request + 1, this);
        }

        @Override
        public void completed(int result) {
            Completion caller = up;
            up = null;
            caller.completed(result + 1);
        }
    }

    static final class BottomLayer implements Layer {
        @Override
        public void call(int request, Completion caller) {
            caller.completed(request * 2);
        }
    }

    static final class Originator implements Completion {
        int result;

        @Override
        public void completed(int value) {
            result = value;
        }
    }

    /**
     * Each call site sees as many receiver classes as its IRP counterpart (Layer.call: pass-through
     * and bottom, as the dispatch call in Irp.callDriver; Completion.completed: pass-through and
     * originator), so neither side gets a monomorphic advantage; the layers sit in non-final
     * fields of the state and the result goes to a Blackhole, so nothing is constant-folded away.
     */
    @State(Scope.Thread)
    public static class DirectStack {
        Layer top;
        Originator originator;
        int seed;

        @Setup(Level.Trial)
        public void setUp() {
            top = new PassThroughLayer(new PassThroughLayer(new BottomLayer()));
            originator = new Originator();
            seed = 20;
            top.call(seed, originator);
            if (originator.result != ((seed + 2) * 2 + 2)) {
                throw new IllegalStateException("direct stack does not work: " + originator.result);
            }
        }
    }

    @Benchmark
    public void directInterfaceCall(DirectStack s, Blackhole bh) {
        Originator o = s.originator;
        s.top.call(s.seed, o);
        bh.consume(o.result);
    }

    @State(Scope.Thread)
    public static class Seed {
        int seed = 20;
    }

    static CompletableFuture<Integer> threeStages(CompletableFuture<Integer> source) {
        return source.thenApply(x -> x + 1).thenApply(x -> x + 1).thenApply(x -> x * 2);
    }

    @Benchmark
    public int completableFutureThreeStages(Seed s) {
        CompletableFuture<Integer> source = new CompletableFuture<>();
        CompletableFuture<Integer> result = threeStages(source);
        source.complete(s.seed);
        return result.join();
    }

    @State(Scope.Thread)
    public static class FutureCompleter {
        SpinningCompleter<CompletableFuture<Integer>> completer;
        int seed = 20;

        @Setup(Level.Trial)
        public void setUp() {
            int value = seed;
            completer = new SpinningCompleter<>("bench-future-completer", f -> f.complete(value));
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            completer.stop();
        }
    }

    @Benchmark
    public int completableFutureThreeStagesCompletedFromAnotherThread(FutureCompleter s) {
        CompletableFuture<Integer> source = new CompletableFuture<>();
        CompletableFuture<Integer> result = threeStages(source);
        s.completer.handOff(source);
        int spins = 0;
        long start = 0;
        while (!result.isDone()) {
            start = SpinningCompleter.pause(++spins, start, "completion of the future", s.completer);
        }
        return result.join();
    }
}
