package org.irpverbs.softhca.fabric;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.irpverbs.irp.SpinLock;
import org.irpverbs.softhca.wire.Bth;
import org.irpverbs.softhca.wire.Lrh;
import org.irpverbs.softhca.wire.Gid;
import org.irpverbs.softhca.wire.PacketCodec;
import org.irpverbs.verbs.Mtu;

/**
 * The in-process fabric: one switch with a linear forwarding table indexed by LID (what a subnet
 * manager would program; here attach fills it) and a multicast forwarding table indexed by MLID.
 * Forwarding runs on the sender's thread and ends in the receiving port's {@link FrameReceiver},
 * which only queues the frame; nothing is copied for unicast (ownership of the frame moves), and
 * multicast copies once per member into frames from the fabric's own pool.
 *
 * <p>Order: packets from one port to another arrive in the order sent, as on an IB path. Drops:
 * detached or down sender (its PortXmitDiscards), packet over the sender's MTU (PortXmitDiscards),
 * unknown DLID (switch unknownDlidDrops), receiver's link down (switch linkDownDrops and the
 * receiver's PortXmitDiscards as its switch port would count them), packet over the receiver's MTU
 * (switch mtuDrops and the receiver's PortRcvErrors).
 *
 * <p>Simplified (docs/architecture.md §11): one switch, no virtual lanes or credit-based flow control
 * (a receiver that cannot keep up drops, where a real link would back-pressure), no link training.
 *
 * <p>Thread-safe. Lookups on the forwarding path are lock-free; topology changes (attach, detach,
 * join, leave, LID changes) take a spin lock for a few array writes. No method blocks.
 */
public final class InProcessFabric implements Fabric {
    private static final int MCAST_SLOTS = Lrh.MULTICAST_LID_LAST - Lrh.MULTICAST_LID_FIRST + 1;
    private static final int FORWARDED = 0;
    private static final int UNKNOWN_DLID = 1;
    private static final int LINK_DOWN = 2;
    private static final int MTU_DROPS = 3;
    private static final int MCAST_NO_MEMBERS = 4;
    private static final int FROM_TRANSPORTS = 5;

    private final String name;
    private final AtomicReferenceArray<Port> byLid = new AtomicReferenceArray<>(Lrh.MULTICAST_LID_FIRST);
    private final AtomicReferenceArray<Port[]> multicast = new AtomicReferenceArray<>(MCAST_SLOTS);
    private final AtomicReferenceArray<Gid> multicastGids = new AtomicReferenceArray<>(MCAST_SLOTS);
    private final SpinLock topology = new SpinLock();
    private volatile Port[] ports = new Port[0];
    private volatile FabricTransport[] transports = new FabricTransport[0];
    private final AtomicLongArray switchCounters = new AtomicLongArray(6);
    private final FramePool copies = new FramePool(4096 + PacketCodec.MAX_HEADER_BYTES + 8);
    private final FabricIngress ingress = this::deliverFromTransport;
    private volatile boolean icrcOffload = true;
    private volatile boolean segmentationOffload = true;

    /** A fabric named "fabric". */
    public InProcessFabric() {
        this("fabric");
    }

    public InProcessFabric(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Checksum offload for this fabric's ports ({@link FabricPort#icrcOffload()}; default on): a
     * frame delivered in-process keeps its ICRC unset, one that leaves through a transport gets
     * it computed on the way out. Off, every sender computes and every receiver checks it.
     */
    public void setIcrcOffload(boolean offload) {
        this.icrcOffload = offload;
    }

    public boolean icrcOffload() {
        return icrcOffload;
    }

    /**
     * Segmentation offload for this fabric's ports ({@link FabricPort#segmentationOffload}; default
     * on, and only with ICRC offload, since a run carries no ICRC): an engine may hand a run of
     * packets of one message to an in-process receiver that accepts runs as one frame.
     */
    public void setSegmentationOffload(boolean offload) {
        this.segmentationOffload = offload;
    }

    /**
     * Shorter than the smallest packet (LRH, BTH, ICRC), or for a segment run than its first
     * packet's LRH and BTH (a run's payload is held by reference and it carries no ICRC).
     */
    private static boolean tooShort(Frame frame) {
        return frame.length() < (frame.segments() > 1 ? Lrh.BYTES + Bth.BYTES : PacketCodec.MIN_PACKET_BYTES);
    }

    /** The payload a frame's packets carry at most: what the MTU checks compare. */
    private static int largestPayload(Frame frame) {
        return frame.segments() > 1 ? frame.segmentPayload()
                : PacketCodec.payloadLength(frame.buffer(), 0, frame.length());
    }

    /** A frame leaving the process carries a real ICRC: computed here if its sender offloaded it. */
    private static Frame withIcrc(Frame frame) {
        if (frame.icrcOffloaded()) {
            new PacketCodec().writeIcrc(frame.buffer(), 0, frame.length()); // slow path: transports only
            frame.setIcrcOffloaded(false);
        }
        return frame;
    }

    @Override
    public FabricPort attach(String portName, long guid, int lid, Mtu mtu, FrameReceiver receiver) {
        if (receiver == null || mtu == null) {
            throw new IllegalArgumentException("a port needs a receiver and an MTU");
        }
        checkLid(lid);
        Port p = new Port(portName, guid, mtu, receiver);
        topology.lock();
        try {
            if (lid != 0 && byLid.get(lid) != null) {
                throw new IllegalArgumentException("LID 0x" + Integer.toHexString(lid) + " is already used by port "
                        + byLid.get(lid).name + " on fabric " + name);
            }
            p.lid = lid;
            if (lid != 0) {
                byLid.set(lid, p);
            }
            Port[] next = Arrays.copyOf(ports, ports.length + 1);
            next[ports.length] = p;
            ports = next;
        } finally {
            topology.unlock();
        }
        return p;
    }

    private static void checkLid(int lid) {
        if (lid != 0 && !Lrh.isUnicast(lid)) {
            throw new IllegalArgumentException("a port's LID must be 0 (none) or 1..0xBFFF, was 0x" + Integer.toHexString(lid));
        }
    }

    private static int mcastSlot(int mlid) {
        if (!Lrh.isMulticast(mlid)) {
            throw new IllegalArgumentException("a multicast LID must be 0xC000..0xFFFE, was 0x" + Integer.toHexString(mlid));
        }
        return mlid - Lrh.MULTICAST_LID_FIRST;
    }

    @Override
    public List<FabricPort> ports() {
        return List.of(ports);
    }

    @Override
    public FabricPort port(int lid) {
        return Lrh.isUnicast(lid) ? byLid.get(lid) : null;
    }

    @Override
    public List<FabricPort> multicastMembers(int mlid) {
        Port[] members = multicast.get(mcastSlot(mlid));
        return members == null ? List.of() : List.of(members);
    }

    @Override
    public Gid multicastGid(int mlid) {
        return multicastGids.get(mcastSlot(mlid));
    }

    @Override
    public SwitchCounters switchCounters() {
        return new SwitchCounters(switchCounters.get(FORWARDED), switchCounters.get(UNKNOWN_DLID),
                switchCounters.get(LINK_DOWN), switchCounters.get(MTU_DROPS), switchCounters.get(MCAST_NO_MEMBERS),
                switchCounters.get(FROM_TRANSPORTS));
    }

    @Override
    public void addTransport(FabricTransport transport) {
        topology.lock();
        try {
            FabricTransport[] next = Arrays.copyOf(transports, transports.length + 1);
            next[transports.length] = transport;
            transports = next;
        } finally {
            topology.unlock();
        }
        transport.open(ingress);
    }

    @Override
    public void removeTransport(FabricTransport transport) {
        boolean removed = false;
        topology.lock();
        try {
            List<FabricTransport> next = new ArrayList<>(Arrays.asList(transports));
            removed = next.remove(transport);
            transports = next.toArray(new FabricTransport[0]);
        } finally {
            topology.unlock();
        }
        if (removed) {
            transport.close();
        }
    }

    /**
     * Takes every link down (receivers are told), detaches every port and closes the transports:
     * what the fabric service does when it goes away.
     */
    public void close() {
        for (Port p : ports) {
            p.setLinkUp(false);
            p.detach();
        }
        for (FabricTransport t : transports) {
            removeTransport(t);
        }
    }

    // ---- forwarding ----

    /** Routes a frame whose largest packet payload the caller already worked out ({@link #largestPayload}). */
    private void forward(Port from, Frame frame, int payload) {
        ByteBuffer b = frame.buffer();
        int length = frame.length();
        int dlid = length >= Lrh.BYTES ? Lrh.dlid(b, 0) : 0;
        if (frame.segments() > 1) {
            // a run is only ever sent to a port that accepts runs; if the route changed since the
            // sender asked (the LID moved, the port left), its packets are lost, as in flight on a
            // re-routed link, and RC retransmits them
            Port to = Lrh.isUnicast(dlid) ? byLid.get(dlid) : null;
            if (to != null && to.receiver.acceptsSegmentRuns()) {
                deliver(to, frame, payload);
            } else {
                switchCounters.addAndGet(UNKNOWN_DLID, frame.segments());
                frame.release();
            }
            return;
        }
        if (Lrh.isUnicast(dlid)) {
            Port to = byLid.get(dlid);
            if (to != null) {
                deliver(to, frame, payload);
                return;
            }
            for (FabricTransport t : transports) {
                if (t.reaches(dlid)) {
                    switchCounters.incrementAndGet(FORWARDED);
                    t.transmit(withIcrc(frame), dlid);
                    return;
                }
            }
            switchCounters.incrementAndGet(UNKNOWN_DLID);
            frame.release();
        } else if (Lrh.isMulticast(dlid)) {
            Port[] members = multicast.get(dlid - Lrh.MULTICAST_LID_FIRST);
            int copiesSent = 0;
            if (members != null) {
                for (Port m : members) {
                    if (m != from) {
                        deliver(m, copies.acquire().copyFrom(frame), payload);
                        copiesSent++;
                    }
                }
            }
            if (from != null) {
                for (FabricTransport t : transports) {
                    switchCounters.incrementAndGet(FORWARDED);
                    t.transmit(withIcrc(copies.acquire().copyFrom(frame)), dlid);
                    copiesSent++;
                }
            }
            if (copiesSent == 0) {
                switchCounters.incrementAndGet(MCAST_NO_MEMBERS);
            }
            frame.release();
        } else {
            switchCounters.incrementAndGet(UNKNOWN_DLID);
            frame.release();
        }
    }

    private void deliver(Port to, Frame frame, int payload) {
        if (!to.attached) {
            switchCounters.incrementAndGet(UNKNOWN_DLID);
            frame.release();
            return;
        }
        if (!to.linkUp) {
            switchCounters.incrementAndGet(LINK_DOWN);
            to.counters.incrementAndGet(Port.XMIT_DISCARDS);
            frame.release();
            return;
        }
        if (payload > to.mtu.bytes()) {
            switchCounters.incrementAndGet(MTU_DROPS);
            to.counters.incrementAndGet(Port.RCV_ERRORS);
            frame.release();
            return;
        }
        to.counters.addAndGet(Port.RCV_PKTS, frame.segments());
        to.counters.addAndGet(Port.RCV_DATA, frame.wireBytes() >>> 2);
        switchCounters.addAndGet(FORWARDED, frame.segments());
        to.receiver.receive(to, frame);
    }

    private void deliverFromTransport(Frame frame) {
        switchCounters.incrementAndGet(FROM_TRANSPORTS);
        ByteBuffer b = frame.buffer();
        int length = frame.length();
        int dlid = length >= Lrh.BYTES ? Lrh.dlid(b, 0) : 0;
        int payload = PacketCodec.payloadLength(b, 0, length);
        if (Lrh.isUnicast(dlid)) {
            Port to = byLid.get(dlid);
            if (to == null) {
                switchCounters.incrementAndGet(UNKNOWN_DLID);
                frame.release();
            } else {
                deliver(to, frame, payload);
            }
        } else {
            // multicast from outside: to every local member, never back to a transport
            forward(null, frame, payload);
        }
    }

    /** One attached port. */
    private final class Port implements FabricPort {
        static final int XMIT_DATA = 0;
        static final int RCV_DATA = 1;
        static final int XMIT_PKTS = 2;
        static final int RCV_PKTS = 3;
        static final int XMIT_DISCARDS = 4;
        static final int RCV_ERRORS = 5;

        final String name;
        final long guid;
        final FrameReceiver receiver;
        final AtomicLongArray counters = new AtomicLongArray(6);
        /** Multicast slots joined; guarded by the topology lock. */
        final List<Integer> joined = new ArrayList<>();
        volatile int lid;
        volatile Mtu mtu;
        volatile boolean linkUp = true;
        volatile boolean attached = true;

        Port(String name, long guid, Mtu mtu, FrameReceiver receiver) {
            this.name = name;
            this.guid = guid;
            this.mtu = mtu;
            this.receiver = receiver;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public long guid() {
            return guid;
        }

        @Override
        public int lid() {
            return lid;
        }

        @Override
        public void setLid(int newLid) {
            checkLid(newLid);
            topology.lock();
            try {
                if (newLid != 0 && byLid.get(newLid) != null && byLid.get(newLid) != this) {
                    throw new IllegalArgumentException("LID 0x" + Integer.toHexString(newLid) + " is already used by port "
                            + byLid.get(newLid).name);
                }
                if (!attached) {
                    throw new IllegalStateException("port " + name + " is detached");
                }
                if (lid != 0) {
                    byLid.compareAndSet(lid, this, null);
                }
                lid = newLid;
                if (newLid != 0) {
                    byLid.set(newLid, this);
                }
            } finally {
                topology.unlock();
            }
        }

        @Override
        public Mtu mtu() {
            return mtu;
        }

        @Override
        public void setMtu(Mtu newMtu) {
            if (newMtu == null) {
                throw new IllegalArgumentException("MTU is required");
            }
            mtu = newMtu;
        }

        @Override
        public boolean isLinkUp() {
            return linkUp;
        }

        @Override
        public void setLinkUp(boolean up) {
            if (linkUp != up) {
                linkUp = up;
                receiver.linkStateChanged(this, up);
            }
        }

        @Override
        public boolean send(Frame frame) {
            int payload = attached && linkUp && !tooShort(frame) ? largestPayload(frame) : Integer.MAX_VALUE;
            if (payload > mtu.bytes()) { // detached, down, too short, or over the MTU
                counters.addAndGet(XMIT_DISCARDS, frame.segments());
                frame.release();
                return false;
            }
            counters.addAndGet(XMIT_PKTS, frame.segments());
            counters.addAndGet(XMIT_DATA, frame.wireBytes() >>> 2);
            forward(this, frame, payload);
            return true;
        }

        /**
         * Runs of consecutive frames to one local unicast port go to its receiver as one burst, with
         * the counters added once per run; anything else (multicast, transports, drops) goes
         * through {@link #send} frame by frame, so the checks and counts are those of {@code send}.
         */
        @Override
        public void sendBurst(Frame[] frames, int from, int to) {
            int i = from;
            while (i < to) {
                Port dest = localUnicastTarget(frames[i]);
                if (dest == null) {
                    send(frames[i++]);
                    continue;
                }
                int j = i + 1;
                long words = frames[i].wireBytes() >>> 2;
                int n = frames[i].segments();
                while (j < to && localUnicastTarget(frames[j]) == dest) {
                    words += frames[j].wireBytes() >>> 2;
                    n += frames[j].segments();
                    j++;
                }
                counters.addAndGet(XMIT_PKTS, n);
                counters.addAndGet(XMIT_DATA, words);
                if (!dest.attached || !dest.linkUp) {
                    for (int k = i; k < j; k++) {
                        deliver(dest, frames[k], 0); // counts and releases each as a drop
                    }
                } else {
                    dest.counters.addAndGet(RCV_PKTS, n);
                    dest.counters.addAndGet(RCV_DATA, words);
                    switchCounters.addAndGet(FORWARDED, n);
                    dest.receiver.receiveBurst(dest, frames, i, j);
                }
                i = j;
            }
        }

        /**
         * The local port a frame goes to if {@link #send} would accept it and forward it to a
         * unicast LID of this fabric within that port's MTU; null otherwise.
         */
        private Port localUnicastTarget(Frame frame) {
            if (!attached || !linkUp || tooShort(frame)) {
                return null;
            }
            ByteBuffer b = frame.buffer();
            int payload = largestPayload(frame);
            if (payload > mtu.bytes()) {
                return null;
            }
            int dlid = Lrh.dlid(b, 0);
            if (!Lrh.isUnicast(dlid)) {
                return null;
            }
            Port to = byLid.get(dlid);
            return to != null && payload <= to.mtu.bytes()
                    && (frame.segments() == 1 || to.receiver.acceptsSegmentRuns()) ? to : null;
        }

        @Override
        public boolean segmentationOffload(int dlid, int payloadPerSegment) {
            if (!segmentationOffload || !icrcOffload || !attached || !linkUp || payloadPerSegment > mtu.bytes()
                    || !Lrh.isUnicast(dlid)) {
                return false;
            }
            Port to = byLid.get(dlid);
            return to != null && to.attached && to.receiver.acceptsSegmentRuns() && payloadPerSegment <= to.mtu.bytes();
        }

        @Override
        public boolean icrcOffload() {
            return icrcOffload;
        }

        @Override
        public void join(int mlid, Gid mgid) {
            int slot = mcastSlot(mlid);
            topology.lock();
            try {
                if (!attached) {
                    throw new IllegalStateException("port " + name + " is detached");
                }
                Port[] members = multicast.get(slot);
                if (members == null) {
                    multicast.set(slot, new Port[] {this});
                } else if (!Arrays.asList(members).contains(this)) {
                    Port[] next = Arrays.copyOf(members, members.length + 1);
                    next[members.length] = this;
                    multicast.set(slot, next);
                }
                if (!joined.contains(slot)) {
                    joined.add(slot);
                }
                if (mgid != null) {
                    multicastGids.set(slot, mgid);
                }
            } finally {
                topology.unlock();
            }
        }

        @Override
        public void leave(int mlid) {
            int slot = mcastSlot(mlid);
            topology.lock();
            try {
                leaveLocked(slot);
            } finally {
                topology.unlock();
            }
        }

        private void leaveLocked(int slot) {
            Port[] members = multicast.get(slot);
            if (members == null) {
                return;
            }
            joined.remove(Integer.valueOf(slot));
            List<Port> next = new ArrayList<>(Arrays.asList(members));
            if (next.remove(this)) {
                multicast.set(slot, next.isEmpty() ? null : next.toArray(new Port[0]));
                if (next.isEmpty()) {
                    multicastGids.set(slot, null);
                }
            }
        }

        @Override
        public void countReceiveError() {
            counters.incrementAndGet(RCV_ERRORS);
        }

        @Override
        public PortCounters counters() {
            return new PortCounters(counters.get(XMIT_DATA), counters.get(RCV_DATA), counters.get(XMIT_PKTS),
                    counters.get(RCV_PKTS), counters.get(XMIT_DISCARDS), counters.get(RCV_ERRORS));
        }

        @Override
        public boolean isAttached() {
            return attached;
        }

        @Override
        public void detach() {
            topology.lock();
            try {
                if (!attached) {
                    return;
                }
                attached = false;
                if (lid != 0) {
                    byLid.compareAndSet(lid, this, null);
                }
                for (Integer slot : new ArrayList<>(joined)) {
                    leaveLocked(slot);
                }
                List<Port> next = new ArrayList<>(Arrays.asList(ports));
                next.remove(this);
                ports = next.toArray(new Port[0]);
            } finally {
                topology.unlock();
            }
        }

        @Override
        public String toString() {
            return name + " (LID 0x" + Integer.toHexString(lid) + ", " + mtu + (linkUp ? ", up" : ", down") + ")";
        }
    }
}
