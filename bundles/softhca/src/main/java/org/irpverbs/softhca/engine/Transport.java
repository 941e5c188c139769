package org.irpverbs.softhca.engine;

import java.nio.ByteBuffer;
import org.irpverbs.softhca.engine.SoftHca.Counter;
import org.irpverbs.softhca.fabric.FabricPort;
import org.irpverbs.softhca.fabric.Frame;
import org.irpverbs.softhca.wire.Bth;
import org.irpverbs.softhca.wire.DecodeStatus;
import org.irpverbs.softhca.wire.ImmDt;
import org.irpverbs.softhca.wire.Lrh;
import org.irpverbs.softhca.wire.OpCode;
import org.irpverbs.softhca.wire.PacketCodec;
import org.irpverbs.softhca.wire.PacketLayout;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;

/**
 * The HCA's transport layer, the entry point of the engine's packet and doorbell work: it
 * validates each received packet (headers, ICRC unless offloaded, P_Key against the receiving
 * QP's table entry, IBA 10.9.3: a mismatch is dropped and counted), splits a segment run into the
 * packets it stands for, and hands each packet to its role by QP type and opcode: UD packets to
 * {@link UdTransport}, RC requests to {@link RcResponder}, RC responses (ACK, NAK, read response,
 * atomic ACK) to {@link RcRequester}. A rung doorbell moves the QP's send queue through the role of
 * its type; TO_ERR and TO_RST from commands land here too.
 *
 * <pre>
 *  fabric ─► onFrame ─┬─ UD ──────────────► UdTransport ──────┐
 *                     ├─ RC request ──────► RcResponder ──────┼─► CompletionWriter ─► CQ
 *                     └─ RC response ─────► RcRequester ──────┘
 *  doorbell ─► serviceQp ─► RcRequester / UdTransport
 *  every role ─► PacketTransmitter ─► (flush at the end of the pass) ─► fabric
 * </pre>
 *
 * <p>Not thread-safe: one engine pass at a time, on the engine thread or a busy-polling consumer
 * (EngineThread serialises the passes, and commands run on the engine thread); each role is
 * created once per HCA and owns the QP fields its Javadoc names. Allocation per packet: none
 * (frames are pooled, headers written in place, the ICRC computed with
 * {@link java.util.zip.CRC32}).
 */
final class Transport {
    private final SoftHca hca;
    private final PacketCodec codec = new PacketCodec();
    private final PacketTransmitter tx;
    private final CompletionWriter completions;
    private final UdTransport ud;
    private final RcRequester requester;
    private final RcResponder responder;
    private final PacketLayout layout = new PacketLayout();

    /** receiveRun's cursor over the run's payload slices: the slice, and the payload offset where it starts. */
    private int runPayloadRef;
    private int runPayloadRefStart;
    /** A packet's payload gathered from two or more slices. */
    private ByteBuffer straddle = ByteBuffer.allocate(4096);

    Transport(SoftHca hca) {
        this.hca = hca;
        this.tx = new PacketTransmitter(hca);
        this.completions = new CompletionWriter(hca);
        this.ud = new UdTransport(hca, tx, completions);
        this.requester = new RcRequester(hca, this, tx, completions);
        this.responder = new RcResponder(hca, tx, completions);
    }

    // =====================================================================================
    // entry points
    // =====================================================================================

    /** A packet from the fabric (the frame's tag is the port it came in on). */
    void onFrame(Frame frame) {
        try {
            DeviceState s = hca.state;
            if (hca.failed || s.dead) {
                return;
            }
            HcaPort port = s.port(frame.tag());
            FabricPort fp = port == null ? null : port.fabricPort;
            if (fp == null) {
                return;
            }
            ByteBuffer b = frame.buffer();
            PacketLayout l = layout;
            int segments = frame.segments();
            // a run is decoded by its first packet's headers (its LRH gives that packet's length)
            int length = segments > 1 ? Lrh.packetLength(b, 0) << 2 : frame.length();
            DecodeStatus decoded = frame.icrcOffloaded() ? PacketCodec.decodeHeaders(b, 0, length, l)
                    : codec.decode(b, 0, length, l);
            if (decoded != DecodeStatus.OK || (segments > 1 && !validRun(frame, l))) {
                hca.count(Counter.MALFORMED);
                fp.countReceiveError();
                return;
            }
            hca.packetsReceived.addAndGet(segments);
            if (s.qps == null) {
                hca.count(Counter.NO_QP_DROPS);
                return;
            }
            if (segments > 1) {
                receiveRun(s, port, frame, b, l);
            } else if (l.opcode.isUd()) {
                ud.receive(s, port, b, l);
            } else if (Lrh.vl(b, l.lrhOffset) == Lrh.VL_MANAGEMENT) {
                hca.count(Counter.MALFORMED); // VL15 carries SMPs (UD, to QP0) only (IBA 7.6.5)
            } else {
                rcReceive(s, port, b, l);
            }
        } finally {
            frame.release();
        }
    }

    /**
     * Whether a segment run's first packet and metadata describe consecutive packets of one RC
     * SEND or WRITE: first packet FIRST or MIDDLE with a full segment of payload, last opcode of the
     * same kind at MIDDLE or LAST, 2..{@link Frame#MAX_RUN_SEGMENTS} segments with AckReq flags for
     * those only, and a last segment of 1..segmentPayload bytes.
     */
    private static boolean validRun(Frame frame, PacketLayout l) {
        OpCode first = l.opcode;
        OpCode last = OpCode.of(frame.lastSegmentOpcode());
        int k = frame.segments();
        if (last == null || first.isUd() || first.isResponse() || first.isLast() || last.isFirst()
                || (first.kind() != OpCode.Kind.SEND && first.kind() != OpCode.Kind.RDMA_WRITE)
                || last.kind() != first.kind() || k > Frame.MAX_RUN_SEGMENTS || frame.segmentPayload() != l.payloadLength) {
            return false;
        }
        if ((frame.segmentFlags() & ~Frame.RUN_SE_ON_LAST) >>> k != 0) {
            return false; // an AckReq flag for a packet the run does not hold
        }
        if (frame.length() != l.payloadOffset + (last.hasImmediate() ? ImmDt.BYTES : 0)) {
            return false; // the buffer holds the first packet's headers and the immediate data only
        }
        int lastPayload = frame.payloadRefBytes() - (k - 1) * frame.segmentPayload();
        return lastPayload >= 1 && lastPayload <= frame.segmentPayload();
    }

    /**
     * A segment run, processed as the packets it stands for: before each packet after the first the
     * BTH in the frame is rewritten to that packet's (opcode, PSN, AckReq, SE, pad), and for every
     * packet the layout is pointed at its payload in the sender's memory, so every check and state
     * change is the one a packet gets.
     */
    private void receiveRun(DeviceState s, HcaPort port, Frame frame, ByteBuffer b, PacketLayout l) {
        int k = frame.segments();
        int mtu = frame.segmentPayload();
        long flags = frame.segmentFlags();
        OpCode lastOp = OpCode.of(frame.lastSegmentOpcode());
        OpCode middle = l.opcode.kind() == OpCode.Kind.SEND ? OpCode.RC_SEND_MIDDLE : OpCode.RC_RDMA_WRITE_MIDDLE;
        int bth = l.bthOffset;
        int pkey = Bth.pkey(b, bth);
        int destQp = Bth.destQp(b, bth);
        int psn = Bth.psn(b, bth);
        int immAt = lastOp.hasImmediate() ? frame.length() - ImmDt.BYTES : -1;
        int total = frame.payloadRefBytes();
        runPayloadRef = 0;
        runPayloadRefStart = 0;
        pointAtPayload(frame, l, 0, mtu);
        rcReceive(s, port, b, l);
        if (l.opcode.kind() == OpCode.Kind.RDMA_WRITE) {
            int into = seekRunRef(frame, mtu); // where pointAtPayload starts packet 1: the cursor moves only forward
            int ref = runPayloadRef;
            if (responder.writeRunRest(s, port, frame, b, l, lastOp, psn, immAt, frame.payloadRefBuffer(ref),
                    frame.payloadRefOffset(ref) + into, frame.payloadRefLength(ref) - into)) {
                return;
            }
        }
        for (int i = 1; i < k; i++) {
            boolean last = i == k - 1;
            OpCode op = last ? lastOp : middle;
            int payload = last ? total - i * mtu : mtu;
            int pad = (-payload) & 3;
            Bth.write(b, bth, op.code(), last && (flags & Frame.RUN_SE_ON_LAST) != 0, true, pad, 0, pkey, destQp,
                    (flags >>> i & 1L) != 0, Bth.psnAdd(psn, i));
            l.opcode = op;
            l.rethOffset = -1;
            pointAtPayload(frame, l, i * mtu, payload);
            l.padCount = pad;
            l.immOffset = op.hasImmediate() ? immAt : -1;
            rcReceive(s, port, b, l);
        }
    }

    /**
     * Points the layout at {@code length} bytes of a run's payload starting {@code at} bytes in: at
     * the sender's memory when one slice holds them (the usual case: one SGE), else at a copy of
     * the pieces in a scratch buffer (a packet straddling two SGEs). Packets are visited in order,
     * so the slice cursor only moves forward.
     */
    private void pointAtPayload(Frame frame, PacketLayout l, int at, int length) {
        int into = seekRunRef(frame, at);
        l.payloadLength = length;
        if (into + length <= frame.payloadRefLength(runPayloadRef)) {
            l.payloadBuffer = frame.payloadRefBuffer(runPayloadRef);
            l.payloadOffset = frame.payloadRefOffset(runPayloadRef) + into;
            return;
        }
        if (straddle.capacity() < length) {
            straddle = ByteBuffer.allocate(length);
        }
        int copied = 0;
        int ref = runPayloadRef;
        while (copied < length) {
            int n = Math.min(length - copied, frame.payloadRefLength(ref) - into);
            straddle.put(copied, frame.payloadRefBuffer(ref), frame.payloadRefOffset(ref) + into, n);
            copied += n;
            into = 0;
            ref++;
        }
        l.payloadBuffer = straddle;
        l.payloadOffset = 0;
    }

    /** Moves the run's slice cursor forward to the slice holding payload byte {@code at}; returns {@code at}'s offset in it. */
    private int seekRunRef(Frame frame, int at) {
        while (at >= runPayloadRefStart + frame.payloadRefLength(runPayloadRef)) {
            runPayloadRefStart += frame.payloadRefLength(runPayloadRef);
            runPayloadRef++;
        }
        return at - runPayloadRefStart;
    }

    /** After a batch of received packets: the coalesced ACKs, and the ACK timers that expired behind the batch. */
    void afterFrames() {
        responder.sendCoalescedAcks();
        requester.afterFrames();
    }

    /** Hands the packets queued during this pass of the engine to their ports, a burst per port. */
    void flush() {
        tx.flush();
    }

    /** A doorbell rang, a timer fired or a state changed: move the QP's send queue. */
    void serviceQp(QpContext qp) {
        if (!live(hca, qp)) {
            return;
        }
        switch (qp.state) {
            case ERR -> {
                completions.flushSend(qp);
                completions.flushRecv(qp);
            }
            case SQE -> completions.flushSend(qp);
            case RTS -> {
                if (qp.type == QpType.RC) {
                    requester.send(qp);
                } else {
                    ud.send(qp);
                }
            }
            default -> {
                // RESET, INIT, RTR: nothing to send; SQD: nothing new starts, in-flight packets are acknowledged as they come
            }
        }
    }

    /** Whether {@code qp} is still the HCA's: not failed, reset or destroyed meanwhile (a timer or a queued doorbell may outlive it). */
    static boolean live(SoftHca hca, QpContext qp) {
        DeviceState s = qp.device;
        ContextTable<QpContext> qps = s.qps;
        return !hca.failed && s == hca.state && !s.dead && qps != null && qps.get(qp.qpn) == qp;
    }

    // =====================================================================================
    // QP state changes
    // =====================================================================================

    /** TO_ERR by command: every outstanding WQE is flushed; {@code event} raised if given. */
    void enterError(QpContext qp, AsyncEvent event) {
        completions.enterError(qp, event);
    }

    /** TO_RST: the queues are emptied without completions and the transport starts afresh. */
    void resetQp(QpContext qp) {
        qp.sqLock.lock();
        qp.rqLock.lock();
        try {
            qp.state = QpState.RESET;
            qp.sqConsumed = qp.sqProduced;
            qp.rqConsumed = qp.rqProduced;
        } finally {
            qp.rqLock.unlock();
            qp.sqLock.unlock();
        }
        RcRequester.stopTimers(qp);
        qp.sendIndex = qp.sqProduced;
        qp.nextPsn = 0;
        qp.highestPsn = 0;
        qp.unackedPsn = 0;
        qp.outstandingReadAtomic = 0;
        qp.retryCounter = 0;
        qp.rnrCounter = 0;
        qp.expectedPsn = 0;
        qp.msn = 0;
        qp.sequenceNakSent = false;
        qp.receiveInProgress = false;
        qp.writeInProgress = false;
        qp.ackPending = false;
        qp.atomicFilled = 0;
    }

    // =====================================================================================
    // RC receive dispatch
    // =====================================================================================

    private void rcReceive(DeviceState s, HcaPort port, ByteBuffer b, PacketLayout l) {
        QpContext qp = s.qps.get(Bth.destQp(b, l.bthOffset));
        if (qp == null || qp.type != QpType.RC || qp.attrs.port != port.number) {
            hca.count(Counter.NO_QP_DROPS);
            return;
        }
        if (!pkeyAccepted(hca, qp, port, b, l)) {
            return;
        }
        QpState st = qp.state;
        if (l.opcode.isResponse()) {
            if (st == QpState.RTS || st == QpState.SQD) {
                requester.onResponse(qp, b, l);
            } else {
                hca.count(Counter.NO_QP_DROPS);
            }
        } else if (st == QpState.RTR || st == QpState.RTS || st == QpState.SQD) {
            responder.onRequest(qp, b, l);
        } else {
            hca.count(Counter.NO_QP_DROPS);
        }
    }

    /** Whether the packet's P_Key matches the QP's entry in the port's table (IBA 10.9.3); a mismatch is counted. */
    static boolean pkeyAccepted(SoftHca hca, QpContext qp, HcaPort port, ByteBuffer b, PacketLayout l) {
        if (HcaPort.pkeyMatches(Bth.pkey(b, l.bthOffset), port.pkeys.get(qp.attrs.pkeyIndex))) {
            return true;
        }
        port.pkeyViolations.incrementAndGet();
        hca.count(Counter.PKEY_VIOLATIONS);
        return false;
    }
}
