package org.irpverbs.benchmarks.hca;

import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.CRC32;
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
import org.osgi.util.promise.Promise;

/**
 * 64 KiB RDMA WRITE bandwidth from port 1 of a Tavor MT23108 to port 1 of a mem-free MT25208
 * through the speed path, against a plain memory copy of the same 64 KiB in the same run. All in
 * ns per 64 KiB; bandwidth = 65536 B / (ns/op) GB/s.
 * <ul>
 * <li>{@link #rdmaWrite64k}: up to {@value #DEPTH} (perftest's default tx-depth) WRITEs of the
 * whole 64 KiB source buffer into the whole 64 KiB remote buffer in flight; one operation = one
 * WRITE acknowledged by the responder. Parameters: the buffers are heap or direct
 * ({@code buffer}); the path MTU is 2048 or 4096 ({@code mtu}): 32 or 16 packets per WRITE, which
 * separates per-packet from per-byte costs; every WRITE is signaled ({@code cqMod} 1) or every
 * 100th, perftest's default {@code --cq-mod} ({@code cqMod} 100: the HCA writes one completion per
 * 100 WRITEs, each acknowledging the 99 unsignaled ones before it); the thread polls the CQ without
 * pause, as perftest does by default ({@code wait} poll), or arms REQ_NOTIFY_CQ and blocks until
 * it fires, perftest's {@code -e} ({@code wait} event). Polling costs real hardware nothing; here
 * the poller shares the two vCPUs with the engines, which are the HCA. Blocking leaves the engines
 * both CPUs, but each wake-up goes engine → completion pool → promise → this thread, and the
 * engines, each alone on a CPU, run dry and park more often.</li>
 * <li>{@link #copyHeap64k}, {@link #copyDirect64k}: {@code dst.put(0, src, 0, 65536)}, the absolute
 * bulk ByteBuffer copy the engine itself uses (MemoryAccess gather/scatter), heap to heap and
 * direct to direct: what the one copy of a WRITE costs. A WRITE's packets carry references to the
 * requester's checked memory; the responder copies from there into the target region.</li>
 * <li>{@link #crc32Heap64k}: {@link CRC32} over 64 KiB of a heap array, what the ICRC would cost
 * per byte; in-process frames skip it (ICRC offload: the fabric does not corrupt), a transport
 * that leaves the process computes it.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RdmaWriteBenchmark -p wait=poll -prof gc}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dirpverbs.blocking=off", "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Threads(1)
public class RdmaWriteBenchmark {
    static final int SIZE = 64 * 1024;
    static final int DEPTH = 128;
    /** An event that does not come within this is a bug (a lost wake-up), not a slow HCA. */
    static final long EVENT_TIMEOUT_MILLIS = 10_000;
    /** WRITEs each benchmark call retires: a multiple of every {@code cqMod}. */
    static final int WRITES_PER_CALL = 1600;

    @State(Scope.Thread)
    public static class Link extends CountedOperations {
        @Param({"2048", "4096"})
        public int mtu;

        @Param({"heap", "direct"})
        public String buffer;

        /** Every {@code cqMod}-th WRITE is signaled (perftest's --cq-mod; 1: every one). */
        @Param({"1", "100"})
        public int cqMod;

        /** How the thread waits when the CQ is empty: {@code poll} (spin) or {@code event} (perftest -e). */
        @Param({"poll", "event"})
        public String wait;

        boolean events;
        /** The armed REQ_NOTIFY_CQ, null when none is. */
        Promise<Void> armed;

        HcaPair pair;
        int inflight;
        long nextWr;
        final PollIdle idle = new PollIdle();

        @Setup(Level.Trial)
        public void setUp() {
            checkCqMod(cqMod);
            events = waitsForEvents(wait);
            pair = new HcaPair(HcaPair.TAVOR_MEMFREE, mtu, SIZE, "direct".equals(buffer), DEPTH, 1);
            for (int i = 0; i < SIZE; i++) {
                pair.a.buffer.put(i, (byte) (i * 31 + 7));
            }
        }

        /** @throws IllegalArgumentException unless {@code cqMod} is 1..{@value #DEPTH} and divides {@value #WRITES_PER_CALL} */
        static void checkCqMod(int cqMod) {
            if (cqMod < 1 || cqMod > DEPTH || WRITES_PER_CALL % cqMod != 0) {
                throw new IllegalArgumentException("cqMod must be 1.." + DEPTH + " and divide " + WRITES_PER_CALL
                        + ", was " + cqMod);
            }
        }

        /**
         * @return true for {@code event}, false for {@code poll}
         * @throws IllegalArgumentException for anything else
         */
        static boolean waitsForEvents(String wait) {
            return switch (String.valueOf(wait)) {
                case "poll" -> false;
                case "event" -> true;
                default -> throw new IllegalArgumentException("wait must be poll or event, was " + wait);
            };
        }

        /**
         * The CQ was empty: arm REQ_NOTIFY_CQ and poll once more (a completion written before the
         * arming raises no event); if it is still empty, block until the armed notification fires.
         */
        void awaitCompletion() {
            if (armed != null && armed.isDone()) {
                armed = null; // fired for a completion polled since
            }
            if (armed == null) {
                armed = pair.a.verbs.notifyCq(pair.a.sendCq, false);
                return;
            }
            try {
                armed.timeout(EVENT_TIMEOUT_MILLIS).getValue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for a CQ event", e);
            } catch (InvocationTargetException e) {
                throw new IllegalStateException(e.getCause() instanceof TimeoutException
                        ? "armed, the CQ empty, and no completion event for " + EVENT_TIMEOUT_MILLIS + " ms with "
                                + inflight + " WRITEs in flight: a lost wake-up"
                        : "REQ_NOTIFY_CQ failed", e.getCause());
            }
            armed = null;
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            // a last signaled WRITE retires the unsignaled tail
            while (!pair.a.postWrite(nextWr, 0, SIZE, pair.b, true) && System.nanoTime() < deadline) {
                inflight -= pair.a.poll(pair.a.sendCq, 64) * cqMod;
            }
            inflight = (inflight / cqMod) + 1; // signaled completions still to come
            while (inflight > 0 && System.nanoTime() < deadline) {
                inflight -= pair.a.poll(pair.a.sendCq, 64);
            }
            // the data arrived intact
            int at = pair.a.buffer.duplicate().clear().mismatch(pair.b.buffer.duplicate().clear());
            System.out.println();
            System.out.println("[" + pair + " mtu " + mtu + " " + buffer + "] " + (at < 0 ? "data verified; "
                    : "DATA MISMATCH at byte " + at + "; ") + pair.transportReport());
            System.out.println("[" + pair + " mtu " + mtu + " " + buffer + "] " + switches.report());
            pair.close();
        }
    }

    @State(Scope.Thread)
    public static class Buffers {
        final ByteBuffer heapSrc = ByteBuffer.allocate(SIZE);
        final ByteBuffer heapDst = ByteBuffer.allocate(SIZE);
        final ByteBuffer directSrc = ByteBuffer.allocateDirect(SIZE);
        final ByteBuffer directDst = ByteBuffer.allocateDirect(SIZE);
        final byte[] bytes = new byte[SIZE];
        final CRC32 crc = new CRC32();

        @Setup(Level.Trial)
        public void setUp() {
            for (int i = 0; i < SIZE; i++) {
                heapSrc.put(i, (byte) (i * 31 + 7));
                directSrc.put(i, (byte) (i * 31 + 7));
                bytes[i] = (byte) (i * 31 + 7);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(WRITES_PER_CALL)
    public int rdmaWrite64k(Link l) {
        RcEndpoint a = l.pair.a;
        RcEndpoint b = l.pair.b;
        int cqMod = l.cqMod;
        int retired = 0;
        while (retired < WRITES_PER_CALL) {
            boolean progress = false;
            while (l.inflight < DEPTH && a.postWrite(l.nextWr, 0, SIZE, b, l.nextWr % cqMod == cqMod - 1)) {
                l.inflight++;
                l.nextWr++;
                progress = true;
            }
            int n = a.poll(a.sendCq, (WRITES_PER_CALL - retired) / cqMod);
            l.inflight -= n * cqMod;
            retired += n * cqMod;
            if (progress || n > 0) {
                l.idle.progress();
            } else if (l.events) {
                l.awaitCompletion();
            } else {
                l.idle.idle();
            }
        }
        l.ops += WRITES_PER_CALL;
        return retired;
    }

    @Benchmark
    public ByteBuffer copyHeap64k(Buffers s) {
        return s.heapDst.put(0, s.heapSrc, 0, SIZE);
    }

    @Benchmark
    public ByteBuffer copyDirect64k(Buffers s) {
        return s.directDst.put(0, s.directSrc, 0, SIZE);
    }

    @Benchmark
    public long crc32Heap64k(Buffers s) {
        CRC32 crc = s.crc;
        crc.reset();
        crc.update(s.bytes, 0, SIZE);
        return crc.getValue();
    }
}
