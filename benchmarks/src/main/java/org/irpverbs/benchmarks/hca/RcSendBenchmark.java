package org.irpverbs.benchmarks.hca;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * RC SEND of 64 bytes between two HCA ports through the speed path (post send, post receive, poll
 * CQ), against the same thread topology in plain Java ({@link RelayPair}) measured in the same run.
 * <ul>
 * <li>{@link #hcaSendRate}: message rate. The benchmark thread keeps up to {@value #DEPTH} SENDs
 * posted at end A, reposts each receive it polls at end B (which has {@value #RECEIVES} receives
 * posted) and polls A's send CQ to free its send queue. One operation = one 64-byte message
 * delivered (its receive completion polled at B); ns/op is the inverse of the message rate.</li>
 * <li>{@link #hcaPingPong}: one SEND A → B, its receive polled at B, a SEND B → A, its receive
 * polled at A. One operation = one round trip; the one-way latency is half of it (as ib_send_lat
 * reports). Send completions are drained as they come, outside the critical path.</li>
 * <li>{@link #javaRelayRate} and {@link #javaRelayPingPong}: the same two loops over
 * {@link RelayPair}: two relay threads in place of the two engines, rings in place of queues and
 * the fabric, a 64-byte copy per hop, the engines' park-when-idle policy.</li>
 * </ul>
 * One benchmark thread drives both ends (as ib-shell's send_lat does), so the measurement includes
 * each poll observing a completion; it spins and yields after 64 empty polls (see {@link PollIdle};
 * {@code -Dhca.poll=yield} yields after every one), in the HCA and the Java loop alike, because on
 * 2 cores a pure spinner takes the CPU from the engines it waits for.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RcSendBenchmark -prof gc}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dirpverbs.blocking=off", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Threads(1)
public class RcSendBenchmark {
    static final int SIZE = 64;
    static final int DEPTH = 64;
    static final int RECEIVES = 256;
    static final int BATCH = 256;

    @State(Scope.Thread)
    public static class Link extends CountedOperations {
        @Param({HcaPair.TAVOR_MEMFREE, HcaPair.TAVOR_TWO_PORTS})
        public String topology;

        HcaPair pair;
        int inflight;
        long nextWr;
        final PollIdle idle = new PollIdle();

        @Setup(Level.Trial)
        public void setUp() {
            // send queue DEPTH, receive queue RECEIVES at both ends; buffer: 64 B to send + RECEIVES slots
            pair = new HcaPair(topology, 2048, SIZE * (RECEIVES + 1), false, DEPTH, RECEIVES);
            for (int i = 0; i < SIZE; i++) {
                pair.a.buffer.put(i, (byte) (i + 1));
                pair.b.buffer.put(i, (byte) (i + 2));
            }
            for (int i = 0; i < RECEIVES; i++) {
                check(pair.a.postReceive(i, SIZE * (1 + i), SIZE), "pre-post receive");
                check(pair.b.postReceive(i, SIZE * (1 + i), SIZE), "pre-post receive");
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            // drain what is still in flight, then report the transport's retries (there should be none)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (inflight > 0 && System.nanoTime() < deadline) {
                inflight -= pair.a.poll(pair.a.sendCq, 64);
                repost(pair.b, pair.b.poll(pair.b.recvCq, 64));
            }
            System.out.println();
            System.out.println("[" + pair + "] " + pair.transportReport());
            System.out.println("[" + pair + "] " + switches.report());
            pair.close();
        }
    }

    @State(Scope.Thread)
    public static class Relays extends CountedOperations {
        RelayPair relays;
        int inflight;

        final byte[] message = new byte[SIZE];
        final byte[] received = new byte[SIZE];
        final PollIdle idle = new PollIdle();

        @Setup(Level.Trial)
        public void setUp() {
            relays = new RelayPair(RECEIVES);
            for (int i = 0; i < SIZE; i++) {
                message[i] = (byte) (i + 1);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            System.out.println();
            System.out.println("[java relays] " + switches.report());
            relays.close();
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what + ": queue full");
        }
    }

    /**
     * Reposts the receives whose completions are in {@code end.completions[0..n)} at the slots they
     * used. The engine makes a receive's CQE visible a moment before it frees the WQE's slot (as
     * ib-shell's Endpoint notes), so a full queue is waited out here.
     */
    static void repost(RcEndpoint end, int n) {
        for (int i = 0; i < n; i++) {
            long wr = end.completions[i].wrId;
            int spins = 0;
            while (!end.postReceive(wr, SIZE * (1 + (int) (wr % RECEIVES)), SIZE)) {
                if (++spins > 10_000_000) {
                    throw new IllegalStateException("the receive queue of " + end.hca + " stays full");
                }
                Thread.onSpinWait();
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int hcaSendRate(Link l) {
        RcEndpoint a = l.pair.a;
        RcEndpoint b = l.pair.b;
        PollIdle idle = l.idle;
        int received = 0;
        while (received < BATCH) {
            boolean progress = false;
            while (l.inflight < DEPTH && a.postSend(l.nextWr, 0, SIZE)) {
                l.inflight++;
                l.nextWr++;
                progress = true;
            }
            int sent = a.poll(a.sendCq, 64);
            l.inflight -= sent;
            int r = b.poll(b.recvCq, BATCH - received);
            repost(b, r);
            received += r;
            idle.after(progress || sent > 0 || r > 0);
        }
        l.ops += BATCH;
        return received;
    }

    @Benchmark
    public int hcaPingPong(Link l) {
        RcEndpoint a = l.pair.a;
        RcEndpoint b = l.pair.b;
        PollIdle idle = l.idle;
        long wr = l.nextWr++;
        while (!a.postSend(wr, 0, SIZE)) {
            a.poll(a.sendCq, 64);
        }
        int n;
        while ((n = b.poll(b.recvCq, 1)) == 0) {
            idle.idle();
        }
        idle.progress();
        repost(b, n);
        while (!b.postSend(wr, 0, SIZE)) {
            b.poll(b.sendCq, 64);
        }
        while ((n = a.poll(a.recvCq, 1)) == 0) {
            idle.idle();
        }
        idle.progress();
        repost(a, n);
        // send completions arrive with the ACKs; take them off the CQs outside the round trip
        a.poll(a.sendCq, 64);
        b.poll(b.sendCq, 64);
        l.ops++;
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int javaRelayRate(Relays s) {
        RelayPair.Relay a = s.relays.a;
        RelayPair.Relay b = s.relays.b;
        PollIdle idle = s.idle;
        int received = 0;
        while (received < BATCH) {
            boolean progress = false;
            while (s.inflight < DEPTH && RelayPair.post(a, s.message)) {
                s.inflight++;
                progress = true;
            }
            int r = 0;
            while (received + r < BATCH && b.delivered.poll(s.received)) {
                r++;
            }
            s.inflight -= r;
            received += r;
            idle.after(progress || r > 0);
        }
        s.ops += BATCH;
        return received;
    }

    @Benchmark
    public int javaRelayPingPong(Relays s) {
        RelayPair.Relay a = s.relays.a;
        RelayPair.Relay b = s.relays.b;
        PollIdle idle = s.idle;
        check(RelayPair.post(a, s.message), "post");
        while (!b.delivered.poll(s.received)) {
            idle.idle();
        }
        idle.progress();
        check(RelayPair.post(b, s.received), "post");
        while (!a.delivered.poll(s.received)) {
            idle.idle();
        }
        idle.progress();
        s.ops++;
        return s.received[SIZE - 1];
    }
}
