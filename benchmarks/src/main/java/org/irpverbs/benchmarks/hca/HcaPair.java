package org.irpverbs.benchmarks.hca;

import java.nio.ByteBuffer;
import org.irpverbs.hca.core.HcaDriverOptions;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.engine.TransportStatistics;
import org.irpverbs.verbs.Mtu;

/**
 * Two connected RC endpoints on real soft HCAs run by the real drivers, for the speed-path
 * benchmarks. Topologies:
 * <ul>
 * <li>{@value #TAVOR_MEMFREE}: port 1 of an MT23108 run by the Tavor driver (LID 1) and port 1 of an
 * MT25208 run by the mem-free driver (LID 3): two engine threads, packets cross the in-process
 * fabric between them;</li>
 * <li>{@value #TAVOR_TWO_PORTS}: ports 1 and 2 of one MT23108: one engine thread does both the
 * requester's and the responder's work.</li>
 * </ul>
 * Command latencies are the test rig's scaled-down ones (A 2 µs, B 10 µs, C 50 µs): only set-up
 * uses commands here. The I/O manager has 2 completion threads (the machine has 2 cores); the
 * speed path never uses them (no CQ is armed).
 *
 * <p>Not thread-safe.
 */
final class HcaPair implements AutoCloseable {
    static final String TAVOR_MEMFREE = "tavor-memfree";
    static final String TAVOR_TWO_PORTS = "tavor-2ports";
    static final String TAVOR = "tavor";
    static final String ARBEL = "arbel";

    final HcaRig rig;
    final RcEndpoint a;
    final RcEndpoint b;
    private final String topology;

    /**
     * @param bufferBytes each end's registered buffer
     * @param direct      direct (off-heap) buffers instead of heap ones
     */
    HcaPair(String topology, int mtu, int bufferBytes, boolean direct, int sendDepth, int recvDepth) {
        this.topology = topology;
        rig = new HcaRig("bench-" + topology, 2);
        boolean ok = false;
        try {
            rig.configure(HcaRig.hca(TAVOR, HcaModel.MT23108, 2, 10, 50, 4, 4096, 1, 2));
            if (TAVOR_MEMFREE.equals(topology)) {
                rig.configure(HcaRig.hca(ARBEL, HcaModel.MT25208, 2, 10, 50, 4, 4096, 3, 4));
            } else if (!TAVOR_TWO_PORTS.equals(topology)) {
                throw new IllegalArgumentException("topology must be " + TAVOR_MEMFREE + " or " + TAVOR_TWO_PORTS
                        + ", was " + topology);
            }
            rig.addBothDrivers(HcaDriverOptions.DEFAULTS).startBus();
            if (TAVOR_MEMFREE.equals(topology) && !rig.hcaDevice(ARBEL).memoryMode().contains("mem-free")) {
                throw new IllegalStateException("the MT25208 is not run by the mem-free driver: "
                        + rig.hcaDevice(ARBEL).memoryMode());
            }
            String hcaB = TAVOR_MEMFREE.equals(topology) ? ARBEL : TAVOR;
            int portB = TAVOR_MEMFREE.equals(topology) ? 1 : 2;
            a = new RcEndpoint(rig, TAVOR, 1, allocate(bufferBytes, direct), 0x1000_0000L, sendDepth, recvDepth);
            b = new RcEndpoint(rig, hcaB, portB, allocate(bufferBytes, direct), 0x2000_0000L, sendDepth, recvDepth);
            Mtu path = Mtu.ofBytes(mtu);
            a.connect(b, path);
            b.connect(a, path);
            ok = true;
        } finally {
            if (!ok) {
                rig.close();
            }
        }
    }

    static ByteBuffer allocate(int bytes, boolean direct) {
        return direct ? ByteBuffer.allocateDirect(bytes) : ByteBuffer.allocate(bytes);
    }

    /** Retries, NAKs and drops of both ends' HCAs: a clean run has none that matter (printed at tear-down). */
    String transportReport() {
        StringBuilder s = new StringBuilder();
        s.append(a.hca).append(": ").append(describe(rig.hardware(a.hca).transportStatistics()));
        if (!a.hca.equals(b.hca)) {
            s.append("; ").append(b.hca).append(": ").append(describe(rig.hardware(b.hca).transportStatistics()));
        }
        return s.toString();
    }

    private static String describe(TransportStatistics t) {
        return "retransmit timeouts " + t.retransmitTimeouts() + ", seq NAKs sent " + t.sequenceNaksSent()
                + ", RNR NAKs sent " + t.rnrNaksSent() + ", inbox drops " + t.inboxDrops() + ", duplicates "
                + t.duplicatesReceived() + ", CQ overruns " + t.cqOverruns() + ", busy-poll passes " + t.busyPollPasses();
    }

    @Override
    public void close() {
        try {
            rig.checkClean();
        } finally {
            rig.close();
        }
    }

    @Override
    public String toString() {
        return topology + " (" + a.hca + ":" + a.port + " <-> " + b.hca + ":" + b.port + ")";
    }
}
