package org.irpverbs.benchmarks.hca;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
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

/**
 * 64 KiB RDMA WRITE bandwidth from port 1 of a Tavor MT23108 to port 1 of a mem-free MT25208
 * through the speed path, against a plain memory copy of the same 64 KiB in the same run. All in
 * ns per 64 KiB; bandwidth = 65536 B / (ns/op) GB/s.
 * <ul>
 * <li>{@link #rdmaWrite64k}: up to {@value #DEPTH} (perftest's default tx-depth) WRITEs of the whole 64 KiB source buffer into the
 * whole 64 KiB remote buffer in flight; one operation = one WRITE's (signaled) completion polled at
 * the requester, which the HCA raises when the responder acknowledged the last packet. The
 * buffers are heap or direct ({@code buffer}); the path MTU is 2048 or 4096 ({@code mtu}): 32 or
 * 16 packets per WRITE, which separates per-packet from per-byte costs. The application polls the
 * CQ without pause, as perftest does by default: on real hardware that costs the HCA nothing, here
 * the poller shares the two vCPUs with the engines, which are the HCA. Two ways of leaving the CPU
 * to the engines were tried and were slower: sleeping ~80 µs whenever the CQ is empty (3x: the
 * engines ran dry and parked) and perftest's {@code -e} (arm REQ_NOTIFY_CQ, block until it fires:
 * 4.6 instead of 2.2-2.6 µs at MTU 4096: every wake-up parks and unparks engines and a completion
 * thread).</li>
 * <li>{@link #copyHeap64k}, {@link #copyDirect64k}: {@code dst.put(0, src, 0, 65536)}, the absolute
 * bulk ByteBuffer copy the engine itself uses (MemoryAccess gather/scatter), heap to heap and direct
 * to direct. The engine's frames are heap buffers, so a WRITE copies the data twice: region to
 * frame on the requester's engine, frame to region on the responder's.</li>
 * <li>{@link #crc32Heap64k}: {@link CRC32} over 64 KiB of a heap array, what the ICRC costs per
 * byte (computed when a packet is finished and again when it is decoded).</li>
 * </ul>
 * Together the reference rows give the floor of the engines' per-byte work for one 64 KiB WRITE:
 * 2 copies + 2 CRC passes, split over the two engine threads.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RdmaWriteBenchmark -prof gc}.
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
    static final int BATCH = 16;

    @State(Scope.Thread)
    public static class Link extends CountedOperations {
        @Param({"2048", "4096"})
        public int mtu;

        @Param({"heap", "direct"})
        public String buffer;

        HcaPair pair;
        int inflight;
        long nextWr;
        final PollIdle idle = new PollIdle();

        @Setup(Level.Trial)
        public void setUp() {
            pair = new HcaPair(HcaPair.TAVOR_MEMFREE, mtu, SIZE, "direct".equals(buffer), DEPTH, 1);
            for (int i = 0; i < SIZE; i++) {
                pair.a.buffer.put(i, (byte) (i * 31 + 7));
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
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
    @OperationsPerInvocation(BATCH)
    public int rdmaWrite64k(Link l) {
        RcEndpoint a = l.pair.a;
        RcEndpoint b = l.pair.b;
        PollIdle idle = l.idle;
        int completed = 0;
        while (completed < BATCH) {
            boolean progress = false;
            while (l.inflight < DEPTH && a.postWrite(l.nextWr, 0, SIZE, b)) {
                l.inflight++;
                l.nextWr++;
                progress = true;
            }
            int n = a.poll(a.sendCq, BATCH - completed);
            l.inflight -= n;
            completed += n;
            idle.after(progress || n > 0);
        }
        l.ops += BATCH;
        return completed;
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
