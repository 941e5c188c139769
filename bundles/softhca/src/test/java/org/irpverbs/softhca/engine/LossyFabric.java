package org.irpverbs.softhca.engine;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;
import org.irpverbs.softhca.fabric.Fabric;
import org.irpverbs.softhca.fabric.FabricPort;
import org.irpverbs.softhca.fabric.FabricTransport;
import org.irpverbs.softhca.fabric.Frame;
import org.irpverbs.softhca.fabric.FrameReceiver;
import org.irpverbs.softhca.fabric.InProcessFabric;
import org.irpverbs.softhca.fabric.PortCounters;
import org.irpverbs.softhca.fabric.SwitchCounters;
import org.irpverbs.softhca.wire.Bth;
import org.irpverbs.softhca.wire.Gid;
import org.irpverbs.softhca.wire.Lrh;
import org.irpverbs.softhca.wire.OpCode;
import org.irpverbs.verbs.Mtu;

/**
 * A fabric that loses chosen packets: each rule (opcode, PSN) drops the first matching packet a
 * port sends, once. Lets a test take out exactly one packet of a message, an ACK or a response.
 * It can also hold ACKs back and count request packets, to watch the requester's window.
 */
final class LossyFabric implements Fabric {
    private final InProcessFabric inner = new InProcessFabric("lossy");
    private final ConcurrentLinkedQueue<BiPredicate<OpCode, Integer>> rules = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> dropped = new ConcurrentLinkedQueue<>();
    /** Request packets (not acknowledgements or read responses) the ports sent, dropped ones included. */
    final AtomicInteger requestPackets = new AtomicInteger();
    /** The most packets one frame stood for (a segment run's count; 1 for plain packets). */
    final AtomicInteger largestRun = new AtomicInteger(1);
    private volatile boolean passingRuns;
    private volatile boolean holdingAcks;
    private final ConcurrentLinkedQueue<Runnable> heldAcks = new ConcurrentLinkedQueue<>();

    /**
     * From now on, senders may give the ports segment runs (as the in-process fabric does by
     * default); a dropped run loses all the packets it stands for.
     */
    void passRuns() {
        passingRuns = true;
    }

    /** From now on, ACKs wait in the fabric instead of arriving, until {@link #releaseAcks()}. */
    void holdAcks() {
        holdingAcks = true;
    }

    /** Delivers the held ACKs, in order, and lets later ones through. */
    void releaseAcks() {
        holdingAcks = false;
        deliverHeldAcks();
    }

    /** Each held ACK is taken by one poll, so two threads draining at once deliver each once. */
    private void deliverHeldAcks() {
        Runnable r;
        while ((r = heldAcks.poll()) != null) {
            r.run();
        }
    }

    /** Counts request packets; true if {@code f} is an ACK to hold. */
    private boolean hold(Frame f) {
        if (Lrh.lnh(f.buffer(), 0) != Lrh.LNH_IBA_LOCAL) {
            return false;
        }
        OpCode.Kind kind = OpCode.of(Bth.opcode(f.buffer(), Lrh.BYTES)).kind();
        if (kind != OpCode.Kind.ACKNOWLEDGE && kind != OpCode.Kind.ATOMIC_ACKNOWLEDGE
                && kind != OpCode.Kind.RDMA_READ_RESPONSE) {
            requestPackets.incrementAndGet();
            return false;
        }
        return holdingAcks && kind == OpCode.Kind.ACKNOWLEDGE;
    }

    /** Drops the next packet with this opcode and PSN. */
    void dropOnce(OpCode op, int psn) {
        rules.add((o, p) -> o == op && p == psn);
    }

    private boolean shouldDrop(Frame f) {
        if (Lrh.lnh(f.buffer(), 0) != Lrh.LNH_IBA_LOCAL) {
            return false;
        }
        OpCode op = OpCode.of(Bth.opcode(f.buffer(), Lrh.BYTES));
        int psn = Bth.psn(f.buffer(), Lrh.BYTES);
        for (BiPredicate<OpCode, Integer> r : rules) {
            if (r.test(op, psn) && rules.remove(r)) {
                dropped.add(op + " " + Integer.toHexString(psn));
                return true;
            }
        }
        return false;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public FabricPort attach(String name, long guid, int lid, Mtu mtu, FrameReceiver receiver) {
        FabricPort p = inner.attach(name, guid, lid, mtu, receiver);
        return new FabricPort() {
            @Override
            public boolean send(Frame frame) {
                largestRun.accumulateAndGet(frame.segments(), Math::max);
                if (hold(frame)) {
                    heldAcks.add(() -> p.send(frame));
                    if (!holdingAcks) {
                        // releaseAcks ran between the hold decision and the add, and drained the
                        // queue before this ACK was in it: deliver it (and any other) here, or it
                        // would wait forever (seen as RcWindowTest's message never completing)
                        deliverHeldAcks();
                    }
                    return true;
                }
                if (shouldDrop(frame)) {
                    frame.release();
                    return true;
                }
                return p.send(frame);
            }

            @Override
            public boolean segmentationOffload(int dlid, int payloadPerSegment) {
                return passingRuns && p.segmentationOffload(dlid, payloadPerSegment);
            }

            @Override
            public String name() {
                return p.name();
            }

            @Override
            public long guid() {
                return p.guid();
            }

            @Override
            public int lid() {
                return p.lid();
            }

            @Override
            public void setLid(int lid) {
                p.setLid(lid);
            }

            @Override
            public Mtu mtu() {
                return p.mtu();
            }

            @Override
            public void setMtu(Mtu mtu) {
                p.setMtu(mtu);
            }

            @Override
            public boolean isLinkUp() {
                return p.isLinkUp();
            }

            @Override
            public void setLinkUp(boolean up) {
                p.setLinkUp(up);
            }

            @Override
            public void join(int mlid, Gid mgid) {
                p.join(mlid, mgid);
            }

            @Override
            public void leave(int mlid) {
                p.leave(mlid);
            }

            @Override
            public void countReceiveError() {
                p.countReceiveError();
            }

            @Override
            public PortCounters counters() {
                return p.counters();
            }

            @Override
            public boolean isAttached() {
                return p.isAttached();
            }

            @Override
            public void detach() {
                p.detach();
            }
        };
    }

    @Override
    public List<FabricPort> ports() {
        return inner.ports();
    }

    @Override
    public FabricPort port(int lid) {
        return inner.port(lid);
    }

    @Override
    public List<FabricPort> multicastMembers(int mlid) {
        return inner.multicastMembers(mlid);
    }

    @Override
    public Gid multicastGid(int mlid) {
        return inner.multicastGid(mlid);
    }

    @Override
    public SwitchCounters switchCounters() {
        return inner.switchCounters();
    }

    @Override
    public void addTransport(FabricTransport transport) {
        inner.addTransport(transport);
    }

    @Override
    public void removeTransport(FabricTransport transport) {
        inner.removeTransport(transport);
    }
}
