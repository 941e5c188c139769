package org.irpverbs.softhca.fabric;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.softhca.fabric.internal.FabricComponent;
import org.irpverbs.softhca.wire.Bth;
import org.irpverbs.softhca.wire.Deth;
import org.irpverbs.softhca.wire.Gid;
import org.irpverbs.softhca.wire.Grh;
import org.irpverbs.softhca.wire.Lrh;
import org.irpverbs.softhca.wire.OpCode;
import org.irpverbs.softhca.wire.Packet;
import org.irpverbs.verbs.Mtu;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** The in-process switch: addressing, drops and their counters, multicast, and the transport SPI. */
public class FabricTest {
    private final FramePool pool = new FramePool(4096 + 256);

    /** Keeps what it receives (and releases the frames). */
    static class Sink implements FrameReceiver {
        final List<byte[]> packets = new ArrayList<>();
        final List<Boolean> linkEvents = new ArrayList<>();

        @Override
        public synchronized void receive(FabricPort port, Frame frame) {
            byte[] copy = new byte[frame.length()];
            frame.buffer().get(0, copy, 0, copy.length);
            packets.add(copy);
            frame.release();
        }

        @Override
        public synchronized void linkStateChanged(FabricPort port, boolean up) {
            linkEvents.add(up);
        }

        synchronized int count() {
            return packets.size();
        }
    }

    private Frame frame(int dlid, int slid, int payloadBytes) {
        boolean mcast = Lrh.isMulticast(dlid);
        Lrh lrh = new Lrh(0, 0, 0, mcast ? Lrh.LNH_IBA_GLOBAL : Lrh.LNH_IBA_LOCAL, dlid, 0, slid);
        Grh grh = mcast ? Grh.of(Gid.linkLocal(slid), new Gid(0xFF12401BFFFF0000L, dlid), 0) : null;
        Packet p = new Packet(lrh, grh, new Bth(OpCode.UD_SEND_ONLY.code(), false, true, 0, 0, 0xFFFF,
                mcast ? Bth.MULTICAST_QPN : 5, false, 0), new Deth(0x1111, 2), null, null, null, null, null,
                new byte[payloadBytes]);
        Frame f = pool.acquire();
        ByteBuffer b = f.buffer().duplicate();
        b.clear();
        f.setLength(p.encode(b));
        return f;
    }

    @Before
    public void setUp() {
        BlockingDetector.reset();
    }

    @After
    public void noBlocking() {
        assertEquals(0, BlockingDetector.violationCount());
    }

    @Test
    public void unicastByDlidWithCounters() {
        InProcessFabric fabric = new InProcessFabric("t");
        Sink a = new Sink();
        Sink b = new Sink();
        FabricPort pa = fabric.attach("a/1", 0xA1, 1, Mtu.MTU_2048, a);
        FabricPort pb = fabric.attach("b/1", 0xB1, 2, Mtu.MTU_2048, b);
        Frame f = frame(2, 1, 100);
        int len = f.length();
        assertTrue(pa.send(f));
        assertEquals(1, b.count());
        assertEquals(0, a.count());
        assertEquals(1, pa.counters().portXmitPkts());
        assertEquals(len / 4, pa.counters().portXmitData());
        assertEquals(len, pb.counters().rcvBytes());
        assertEquals(1, pb.counters().portRcvPkts());
        assertTrue(Packet.decode(ByteBuffer.wrap(b.packets.get(0))).ok());
        assertSame(pb, fabric.port(2));
        assertEquals(2, fabric.ports().size());
        assertEquals(1, fabric.switchCounters().forwarded());
        // a port may send to itself (HCA loopback through the switch)
        assertTrue(pb.send(frame(2, 2, 4)));
        assertEquals(2, b.count());
    }

    @Test
    public void lidsAreValidatedAndUnique() {
        InProcessFabric fabric = new InProcessFabric();
        Sink s = new Sink();
        FabricPort p = fabric.attach("a/1", 1, 7, Mtu.MTU_2048, s);
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                () -> fabric.attach("b/1", 2, 7, Mtu.MTU_2048, s));
        assertTrue(dup.getMessage(), dup.getMessage().contains("already used by port a/1"));
        assertThrows(IllegalArgumentException.class, () -> fabric.attach("c/1", 3, 0xC000, Mtu.MTU_2048, s));
        assertThrows(IllegalArgumentException.class, () -> fabric.attach("c/1", 3, -1, Mtu.MTU_2048, s));
        FabricPort noLid = fabric.attach("d/1", 4, 0, Mtu.MTU_2048, s);
        assertThrows(IllegalArgumentException.class, () -> noLid.setLid(7));
        noLid.setLid(8);
        assertSame(noLid, fabric.port(8));
        p.detach();
        assertNull(fabric.port(7));
        assertFalse(p.isAttached());
        fabric.attach("b/1", 2, 7, Mtu.MTU_2048, s); // free again
        p.detach(); // idempotent
    }

    @Test
    public void unknownDlidIsDroppedAndCounted() {
        InProcessFabric fabric = new InProcessFabric();
        Sink s = new Sink();
        FabricPort p = fabric.attach("a/1", 1, 1, Mtu.MTU_2048, s);
        assertTrue(p.send(frame(99, 1, 8)));
        assertEquals(1, fabric.switchCounters().unknownDlidDrops());
        assertEquals(0, s.count());
        assertEquals(1, pool.pooled());
    }

    @Test
    public void downLinkDropsAndCounts() {
        InProcessFabric fabric = new InProcessFabric();
        Sink a = new Sink();
        Sink b = new Sink();
        FabricPort pa = fabric.attach("a/1", 1, 1, Mtu.MTU_2048, a);
        FabricPort pb = fabric.attach("b/1", 2, 2, Mtu.MTU_2048, b);
        pb.setLinkUp(false);
        assertEquals(List.of(false), b.linkEvents);
        assertTrue(pa.send(frame(2, 1, 8)));
        assertEquals(0, b.count());
        assertEquals(1, fabric.switchCounters().linkDownDrops());
        assertEquals(1, pb.counters().portXmitDiscards());
        pa.setLinkUp(false);
        assertFalse(pa.send(frame(2, 1, 8)));
        assertEquals(1, pa.counters().portXmitDiscards());
        pa.setLinkUp(true);
        pb.setLinkUp(true);
        assertEquals(List.of(false, true), b.linkEvents);
        assertTrue(pa.send(frame(2, 1, 8)));
        assertEquals(1, b.count());
    }

    @Test
    public void packetsOverTheMtuAreErrors() {
        InProcessFabric fabric = new InProcessFabric();
        Sink a = new Sink();
        Sink b = new Sink();
        FabricPort pa = fabric.attach("a/1", 1, 1, Mtu.MTU_4096, a);
        FabricPort pb = fabric.attach("b/1", 2, 2, Mtu.MTU_1024, b);
        assertTrue(pa.send(frame(2, 1, 1024)));
        assertEquals(1, b.count());
        assertTrue(pa.send(frame(2, 1, 1025)));
        assertEquals(1, b.count());
        assertEquals(1, pb.counters().portRcvErrors());
        assertEquals(1, fabric.switchCounters().mtuDrops());
        pa.setMtu(Mtu.MTU_256);
        assertFalse(pa.send(frame(2, 1, 300)));
        assertEquals(1, pa.counters().portXmitDiscards());
        pb.countReceiveError();
        assertEquals(2, pb.counters().portRcvErrors());
    }

    @Test
    public void multicastReachesEveryMemberButTheSender() {
        InProcessFabric fabric = new InProcessFabric();
        Sink a = new Sink();
        Sink b = new Sink();
        Sink c = new Sink();
        FabricPort pa = fabric.attach("a/1", 1, 1, Mtu.MTU_2048, a);
        FabricPort pb = fabric.attach("b/1", 2, 2, Mtu.MTU_2048, b);
        FabricPort pc = fabric.attach("c/1", 3, 3, Mtu.MTU_2048, c);
        Gid mgid = new Gid(0xFF12401BFFFF0000L, 0xFFFFFFFFL);
        pa.join(0xC001, mgid);
        pb.join(0xC001, null);
        pb.join(0xC001, null);
        assertEquals(2, fabric.multicastMembers(0xC001).size());
        assertEquals(mgid, fabric.multicastGid(0xC001));
        assertTrue(pa.send(frame(0xC001, 1, 64)));
        assertEquals(0, a.count());
        assertEquals(1, b.count());
        assertEquals(0, c.count());
        assertTrue(pc.send(frame(0xC001, 3, 64)));
        assertEquals(1, a.count());
        assertEquals(2, b.count());
        pb.leave(0xC001);
        pa.detach();
        assertTrue(fabric.multicastMembers(0xC001).isEmpty());
        assertNull(fabric.multicastGid(0xC001));
        assertTrue(pc.send(frame(0xC001, 3, 64)));
        assertEquals(1, fabric.switchCounters().multicastNoMembers());
        assertThrows(IllegalArgumentException.class, () -> pc.join(0xBFFF, null));
    }

    /** A transport that hands frames to another fabric's ingress, as a UDP transport would across hosts. */
    static final class Bridge implements FabricTransport {
        final int lidFrom;
        final int lidTo;
        final AtomicInteger transmitted = new AtomicInteger();
        volatile FabricIngress local;
        volatile Bridge peer;
        volatile boolean closed;

        Bridge(int lidFrom, int lidTo) {
            this.lidFrom = lidFrom;
            this.lidTo = lidTo;
        }

        @Override
        public void open(FabricIngress ingress) {
            local = ingress;
        }

        @Override
        public boolean reaches(int dlid) {
            return dlid >= lidFrom && dlid <= lidTo;
        }

        @Override
        public void transmit(Frame frame, int dlid) {
            transmitted.incrementAndGet();
            peer.local.deliver(frame);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Two fabrics joined by a pair of bridges: LIDs 1..99 live west, 100..199 east. */
    static final class Bridged {
        final InProcessFabric west = new InProcessFabric("west");
        final InProcessFabric east = new InProcessFabric("east");
        final Bridge toEast = new Bridge(100, 199);
        final Bridge toWest = new Bridge(1, 99);

        Bridged() {
            toEast.peer = toWest;
            toWest.peer = toEast;
            west.addTransport(toEast);
            east.addTransport(toWest);
        }
    }

    @Test
    public void transportsCarryPacketsForRemoteLids() {
        Bridged bridged = new Bridged();
        InProcessFabric west = bridged.west;
        InProcessFabric east = bridged.east;
        Bridge toEast = bridged.toEast;
        Bridge toWest = bridged.toWest;
        Sink w = new Sink();
        Sink e = new Sink();
        FabricPort pw = west.attach("w/1", 1, 1, Mtu.MTU_2048, w);
        FabricPort pe = east.attach("e/1", 2, 100, Mtu.MTU_2048, e);
        assertTrue(pw.send(frame(100, 1, 32)));
        assertEquals(1, e.count());
        assertTrue(pe.send(frame(1, 100, 32)));
        assertEquals(1, w.count());
        assertEquals(1, east.switchCounters().fromTransports());
        // multicast crosses once and is not sent back
        pe.join(0xC002, null);
        assertTrue(pw.send(frame(0xC002, 1, 16)));
        assertEquals(2, e.count());
        assertEquals(2, toEast.transmitted.get());
        assertEquals(1, toWest.transmitted.get());
        west.removeTransport(toEast);
        assertTrue(toEast.closed);
        assertTrue(pw.send(frame(100, 1, 8)));
        assertEquals(1, west.switchCounters().unknownDlidDrops());
    }

    @Test
    public void closingTheFabricTakesLinksDown() {
        FabricComponent component = new FabricComponent();
        Sink s = new Sink();
        FabricPort p = component.attach("a/1", 1, 5, Mtu.MTU_2048, s);
        assertEquals("fabric0", component.name());
        assertSame(p, component.port(5));
        Bridge t = new Bridge(1, 2);
        component.addTransport(t);
        component.close();
        assertEquals(List.of(false), s.linkEvents);
        assertFalse(p.isAttached());
        assertTrue(t.closed);
        assertTrue(component.ports().isEmpty());
    }

    @Test
    public void framesGoBackToTheirPoolOnce() {
        FramePool small = new FramePool(64, false, 2);
        Frame a = small.acquire();
        Frame b = small.acquire();
        Frame c = small.acquire();
        assertEquals(3, small.allocated());
        a.release();
        b.release();
        c.release(); // beyond maxPooled: left to the GC
        assertEquals(2, small.pooled());
        assertThrows(IllegalStateException.class, a::release);
        Frame again = small.acquire();
        assertTrue(again == a || again == b);
        assertEquals(3, small.allocated());
        assertThrows(IllegalArgumentException.class, () -> again.setLength(65));
        FramePool direct = new FramePool(64, true, 4);
        assertTrue(direct.acquire().buffer().isDirect());
    }

    @Test
    public void frameQueueDeliversEveryFrameOnceFromManyProducers() throws Exception {
        FrameQueue q = new FrameQueue();
        FramePool p = new FramePool(16, false, 100_000);
        int producers = 4;
        int each = 50_000;
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < producers; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    for (int i = 0; i < each; i++) {
                        q.offer(p.acquire().setTag(id * each + i));
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            threads.add(th);
            th.start();
        }
        boolean[] seen = new boolean[producers * each];
        int[] lastPerProducer = new int[producers];
        java.util.Arrays.fill(lastPerProducer, -1);
        int got = 0;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (got < producers * each && System.nanoTime() < deadline) {
            Frame f = q.poll();
            if (f == null) {
                Thread.onSpinWait();
                continue;
            }
            int tag = f.tag();
            assertFalse("frame " + tag + " twice", seen[tag]);
            seen[tag] = true;
            int producer = tag / each;
            assertTrue("per-producer order", tag % each > lastPerProducer[producer]);
            lastPerProducer[producer] = tag % each;
            f.release();
            got++;
        }
        for (Thread th : threads) {
            th.join();
        }
        assertTrue(errors.toString(), errors.isEmpty());
        assertEquals(producers * each, got);
        assertNull(q.poll());
        assertTrue(q.isEmpty());
    }

    /** A receiver that records the bursts it is given, as an HCA's inbox takes them. */
    static final class BurstSink extends Sink {
        final List<Integer> bursts = new ArrayList<>();
        final List<Boolean> offloaded = new ArrayList<>();

        @Override
        public synchronized void receive(FabricPort port, Frame frame) {
            offloaded.add(frame.icrcOffloaded());
            super.receive(port, frame);
        }

        @Override
        public synchronized void receiveBurst(FabricPort port, Frame[] frames, int from, int to) {
            bursts.add(to - from);
            for (int i = from; i < to; i++) {
                receive(port, frames[i]);
            }
        }
    }

    private Frame tagged(int dlid, int slid, int payloadBytes, int mark) {
        Frame f = frame(dlid, slid, payloadBytes);
        f.buffer().put(f.length() - 8, (byte) mark); // last payload byte before the ICRC
        return f;
    }

    @Test
    public void burstsKeepOrderPerReceiverAndCountAsSingleSends() {
        InProcessFabric fabric = new InProcessFabric("burst");
        BurstSink a = new BurstSink();
        BurstSink b = new BurstSink();
        BurstSink c = new BurstSink();
        FabricPort pa = fabric.attach("a/1", 1, 1, Mtu.MTU_2048, a);
        FabricPort pb = fabric.attach("b/1", 2, 2, Mtu.MTU_2048, b);
        FabricPort pc = fabric.attach("c/1", 3, 3, Mtu.MTU_2048, c);
        Frame[] burst = {tagged(2, 1, 64, 1), tagged(2, 1, 64, 2), tagged(2, 1, 64, 3), tagged(77, 1, 64, 4),
            tagged(3, 1, 64, 5), tagged(2, 1, 64, 6), frame(2, 1, 3000), tagged(2, 1, 64, 7)};
        long bytes = 0;
        for (Frame f : burst) {
            bytes += f.length();
        }
        long oversized = burst[6].length();
        pa.sendBurst(burst, 0, burst.length);
        // b gets its frames in order: a run of three, then one after c's, then one after the oversized drop
        assertEquals(List.of(3, 1, 1), b.bursts);
        List<Integer> marks = new ArrayList<>();
        for (byte[] p : b.packets) {
            marks.add((int) p[p.length - 8]);
        }
        assertEquals(List.of(1, 2, 3, 6, 7), marks);
        assertEquals(1, c.count());
        assertEquals(0, a.count());
        // counters as if each had been sent alone: the unknown DLID is forwarded-and-dropped, the
        // packet over the sender's MTU is a transmit discard
        assertEquals(7, pa.counters().portXmitPkts());
        assertEquals((bytes - oversized) / 4, pa.counters().portXmitData());
        assertEquals(1, pa.counters().portXmitDiscards());
        assertEquals(5, pb.counters().portRcvPkts());
        assertEquals(1, pc.counters().portRcvPkts());
        assertEquals(1, fabric.switchCounters().unknownDlidDrops());
        assertEquals(6, fabric.switchCounters().forwarded());
        // a burst towards a port whose link is down is dropped frame by frame and counted
        pb.setLinkUp(false);
        pa.sendBurst(new Frame[] {frame(2, 1, 8), frame(2, 1, 8)}, 0, 2);
        assertEquals(2, fabric.switchCounters().linkDownDrops());
        assertEquals(5, b.count());
        assertEquals("every frame went back to the pool", pool.allocated(), pool.pooled());
    }

    @Test
    public void offloadedIcrcIsComputedOnlyWhenTheFrameLeavesTheProcess() {
        Bridged bridged = new Bridged();
        InProcessFabric west = bridged.west;
        InProcessFabric east = bridged.east;
        BurstSink local = new BurstSink();
        BurstSink remote = new BurstSink();
        FabricPort pw = west.attach("w/1", 1, 1, Mtu.MTU_2048, new Sink());
        west.attach("w/2", 2, 2, Mtu.MTU_2048, local);
        east.attach("e/1", 3, 100, Mtu.MTU_2048, remote);
        assertTrue(pw.icrcOffload());
        Frame in = offloaded(frame(2, 1, 40));
        Frame out = offloaded(frame(100, 1, 40));
        assertTrue(pw.send(in));
        assertTrue(pw.send(out));
        // in-process: delivered as sent, ICRC still unset, and the receiver is told so
        assertEquals(List.of(true), local.offloaded);
        assertEquals(0, icrcField(local.packets.get(0)));
        // through the transport: a real packet, ICRC included
        assertEquals(List.of(false), remote.offloaded);
        assertTrue(Packet.decode(ByteBuffer.wrap(remote.packets.get(0))).ok());
        west.setIcrcOffload(false);
        assertFalse(pw.icrcOffload());
        Frame plain = frame(2, 1, 40);
        assertTrue(pw.send(plain));
        assertEquals(List.of(true, false), local.offloaded);
        assertTrue(Packet.decode(ByteBuffer.wrap(local.packets.get(1))).ok());
    }

    private static Frame offloaded(Frame f) {
        f.buffer().putInt(f.length() - 4, 0);
        return f.setIcrcOffloaded(true);
    }

    private static int icrcField(byte[] packet) {
        return ByteBuffer.wrap(packet).getInt(packet.length - 4);
    }

    @Test
    public void poolServesOneAcquirerWhileAnotherThreadReleases() throws Exception {
        FramePool p = new FramePool(32, false, 1024);
        FrameQueue handOff = new FrameQueue();
        int total = 200_000;
        AtomicInteger released = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread releaser = new Thread(() -> {
            try {
                while (released.get() < total) {
                    Frame f = handOff.poll();
                    if (f == null) {
                        Thread.onSpinWait();
                        continue;
                    }
                    if (f.buffer().getInt(0) != f.tag()) {
                        throw new AssertionError("frame reused while in use: " + f.buffer().getInt(0) + " != " + f.tag());
                    }
                    f.release();
                    released.incrementAndGet();
                }
            } catch (Throwable e) {
                errors.add(e);
            }
        });
        releaser.start();
        for (int i = 0; i < total; i++) {
            while (handOff.size() > 512) {
                Thread.onSpinWait();
            }
            Frame f = p.acquire().setTag(i);
            f.buffer().putInt(0, i);
            handOff.offer(f);
        }
        releaser.join(30_000);
        assertTrue(errors.toString(), errors.isEmpty());
        assertEquals(total, released.get());
        assertTrue("pool grew to " + p.allocated() + " frames", p.allocated() <= 1024 + 1);
        assertEquals(p.allocated(), p.pooled());
    }

    @Test
    public void offerAllAppendsARunInOrderBetweenOtherProducers() {
        FrameQueue q = new FrameQueue();
        FramePool p = new FramePool(16, false, 64);
        q.offer(p.acquire().setTag(0));
        Frame[] run = {p.acquire().setTag(1), p.acquire().setTag(2), p.acquire().setTag(3)};
        q.offerAll(run, 0, 3);
        q.offerAll(run, 1, 1); // empty: nothing happens
        q.offer(p.acquire().setTag(4));
        assertEquals(5, q.size());
        for (int expected = 0; expected < 5; expected++) {
            Frame f = q.poll();
            assertEquals(expected, f.tag());
            f.release();
        }
        assertNull(q.poll());
        assertTrue(q.isEmpty());
    }

    /** A receiver that takes segment runs, as an HCA engine does. */
    static final class RunSink extends Sink {
        @Override
        public boolean acceptsSegmentRuns() {
            return true;
        }
    }

    @Test
    public void segmentRunsGoOnlyToPortsThatTakeThemAndCountAsTheirPackets() {
        InProcessFabric fabric = new InProcessFabric("runs");
        BurstSink plain = new BurstSink();
        RunSink runs = new RunSink();
        FabricPort src = fabric.attach("s/1", 1, 1, Mtu.MTU_2048, new Sink());
        fabric.attach("p/1", 2, 2, Mtu.MTU_2048, plain);
        FabricPort pr = fabric.attach("r/1", 3, 3, Mtu.MTU_2048, runs);
        fabric.attach("small/1", 4, 4, Mtu.MTU_1024, new RunSink());
        assertTrue(src.segmentationOffload(3, 2048));
        assertFalse("the receiver takes packets only", src.segmentationOffload(2, 2048));
        assertFalse("the receiver's MTU is smaller", src.segmentationOffload(4, 2048));
        assertFalse("no local port: a transport would need packets", src.segmentationOffload(99, 2048));
        assertFalse("over the sender's own MTU", src.segmentationOffload(3, 4096));
        Frame run = frame(3, 1, 2048).setIcrcOffloaded(true).setSegmentRun(4, 2048, 0, OpCode.RC_SEND_LAST.code(),
                4 * 2080);
        assertEquals(4 * 2080, run.wireBytes());
        assertTrue(src.send(run));
        assertEquals(1, runs.count());
        assertEquals(4, src.counters().portXmitPkts());
        assertEquals(2080, src.counters().portXmitData());
        assertEquals(4, pr.counters().portRcvPkts());
        assertEquals(4, fabric.switchCounters().forwarded());
        // a run whose destination no longer takes runs is lost whole, never given to a packet receiver
        Frame stray = frame(2, 1, 64).setIcrcOffloaded(true).setSegmentRun(3, 64, 0, OpCode.RC_SEND_LAST.code(), 300);
        assertTrue(src.send(stray));
        assertEquals(0, plain.count());
        assertEquals(3, fabric.switchCounters().unknownDlidDrops());
        fabric.setSegmentationOffload(false);
        assertFalse(src.segmentationOffload(3, 2048));
        fabric.setSegmentationOffload(true);
        fabric.setIcrcOffload(false);
        assertFalse("a run carries no ICRC", src.segmentationOffload(3, 2048));
        assertThrows(IllegalArgumentException.class, () -> pool.acquire().setSegmentRun(1, 2048, 0, 0, 100));
        assertEquals("every frame went back to the pool", pool.allocated(), pool.pooled() + 1);
        assertThrows("more packets than AckReq flags", IllegalArgumentException.class,
                () -> pool.acquire().setSegmentRun(Frame.MAX_RUN_SEGMENTS + 1, 2048, 0, 0, 100));
    }
}
