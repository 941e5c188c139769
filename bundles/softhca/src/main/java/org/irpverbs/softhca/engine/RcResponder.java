package org.irpverbs.softhca.engine;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.irpverbs.softhca.engine.SoftHca.Counter;
import org.irpverbs.softhca.fabric.Frame;
import org.irpverbs.softhca.wire.Aeth;
import org.irpverbs.softhca.wire.AtomicAckEth;
import org.irpverbs.softhca.wire.AtomicEth;
import org.irpverbs.softhca.wire.Bth;
import org.irpverbs.softhca.wire.ImmDt;
import org.irpverbs.softhca.wire.OpCode;
import org.irpverbs.softhca.wire.PacketLayout;
import org.irpverbs.softhca.wire.Reth;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.AsyncEventType;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.WcOpcode;
import org.irpverbs.verbs.WcStatus;

/**
 * The RC responder (IBA 9.7): checks the PSN (sequence error: one NAK; duplicate: re-ACK, re-read
 * or replay the atomic's saved result), consumes receive WQEs for SEND and RDMA WRITE with
 * immediate (none posted: RNR NAK with the QP's min RNR timer), checks every remote access (QP
 * access flags, R_Key, PD, bounds, region rights) before touching memory (violation: NAK remote
 * access error, the QP goes to ERR, nothing is written), writes RDMA data, answers RDMA READ with
 * response packets, performs atomics on 8-byte aligned big-endian words and returns the original
 * value. ACKs are coalesced per batch of received packets, and sent at once when one would cover a
 * quarter of the requester's window. Simplification: read responses are sent in one burst rather
 * than paced (a real HCA interleaves them with other traffic); a burst larger than the
 * requester's inbox costs retries, not correctness.
 *
 * <p>Owns the responder fields of {@link QpContext} (expected PSN, MSN, the message in progress,
 * the pending ACK, the saved atomic results) and the queue of QPs with an ACK pending. Not
 * thread-safe: the engine's pass only (EngineThread serialises the passes). Allocation per
 * packet: none (an error allocates its async event).
 */
final class RcResponder {
    private final SoftHca hca;
    private final PacketTransmitter tx;
    private final CompletionWriter completions;
    /** An acknowledgement coalesces at most this many packets: a quarter of the RC window. */
    private final int ackCoalescePackets;
    /** QPs with an acknowledgement coalescing until the end of the current batch of packets. */
    private final ArrayDeque<QpContext> pendingAcks = new ArrayDeque<>();

    RcResponder(SoftHca hca, PacketTransmitter tx, CompletionWriter completions) {
        this.hca = hca;
        this.tx = tx;
        this.completions = completions;
        this.ackCoalescePackets = Math.max(1, hca.tuning.rcWindowPackets() / 4);
    }

    /** After a batch of received packets: the coalesced ACKs. */
    void sendCoalescedAcks() {
        QpContext qp;
        while ((qp = pendingAcks.poll()) != null) {
            if (qp.ackPending && Transport.live(hca, qp)) {
                qp.ackPending = false;
                sendAck(qp, Aeth.ackSyndrome(), qp.ackPsn);
            }
            qp.ackPending = false;
        }
    }

    /**
     * Receive offload for the rest of an RDMA WRITE run (packets 1..k-1, after the first was
     * processed as a packet): when the first was accepted in order and the rest lies in one slice
     * of the sender's memory, fits the WRITE's remaining length, and one protection check of the
     * whole destination range passes, applying the packets one by one would make exactly these
     * changes: one copy, the WRITE's cursor, the expected PSN, on a LAST the MSN and the immediate
     * data's receive completion, and one ACK for the last packet that asked for one (ACKs are
     * coalesced per batch anyway). Anything else (a protection or length error, an RNR, a packet
     * straddling two slices) returns false and the packets go through {@link #onRequest} one by
     * one, which produces the error at the exact packet. {@code source}: the sender's memory slice
     * that holds packet 1's payload, from its first byte; {@code sourceBytes} of it are the run's.
     */
    boolean writeRunRest(DeviceState s, HcaPort port, Frame frame, ByteBuffer b, PacketLayout l, OpCode lastOp, int psn,
            int immAt, ByteBuffer source, int sourceOffset, int sourceBytes) {
        int bth = l.bthOffset;
        QpContext qp = s.qps.get(Bth.destQp(b, bth));
        if (qp == null || qp.type != QpType.RC || qp.attrs.port != port.number || !qp.writeInProgress
                || qp.sequenceNakSent || qp.expectedPsn != Bth.psnAdd(psn, 1)
                || (qp.state != QpState.RTR && qp.state != QpState.RTS && qp.state != QpState.SQD)
                || !HcaPort.pkeyMatches(Bth.pkey(b, bth), port.pkeys.get(qp.attrs.pkeyIndex))) {
            return false;
        }
        int k = frame.segments();
        int mtu = frame.segmentPayload();
        int rest = frame.payloadRefBytes() - mtu;
        boolean imm = lastOp.hasImmediate();
        if (rest > sourceBytes || rest > qp.writeRemaining
                || (lastOp.isLast() && rest != qp.writeRemaining) || (imm && qp.receiveQueueEmpty())) {
            return false;
        }
        Mpt m = remoteRegion(qp, qp.writeRkey, qp.writeAddress, rest, AccessFlags.REMOTE_WRITE);
        if (m == null) {
            return false;
        }
        m.memory.put(m.offset(qp.writeAddress), source, sourceOffset, rest);
        qp.writeAddress += rest;
        qp.writeRemaining -= rest;
        if (lastOp.isLast()) {
            writeDone(qp, imm, b, immAt, (frame.segmentFlags() & Frame.RUN_SE_ON_LAST) != 0);
        }
        qp.expectedPsn = Bth.psnAdd(psn, k);
        int askedAck = 63 - Long.numberOfLeadingZeros(frame.segmentFlags() & ~Frame.RUN_SE_ON_LAST & ~1L);
        if (askedAck > 0) {
            scheduleAck(qp, Bth.psnAdd(psn, askedAck));
        }
        return true;
    }

    /** ACK, RNR NAK or NAK (by syndrome) for {@code psn}, with the responder's MSN. */
    private void sendAck(QpContext qp, int syndrome, int psn) {
        acknowledge(qp, OpCode.RC_ACKNOWLEDGE, syndrome, psn, 0);
    }

    /** The atomic ACK for {@code psn}, carrying the target's original value. */
    private void sendAtomicAck(QpContext qp, int psn, long original) {
        acknowledge(qp, OpCode.RC_ATOMIC_ACKNOWLEDGE, Aeth.ackSyndrome(), psn, original);
    }

    private void acknowledge(QpContext qp, OpCode op, int syndrome, int psn, long original) {
        HcaPort port = qp.device.port(qp.attrs.port);
        if (port == null) {
            return;
        }
        Frame f = hca.frames.acquire();
        ByteBuffer b = f.buffer();
        int p = PacketTransmitter.beginRc(b, qp, port, op, false, false, psn);
        Aeth.write(b, p, syndrome, qp.msn);
        p += Aeth.BYTES;
        if (op == OpCode.RC_ATOMIC_ACKNOWLEDGE) {
            AtomicAckEth.write(b, p, original);
            p += AtomicAckEth.BYTES;
        }
        tx.transmit(port, f, p);
    }

    /** A request packet (SEND, RDMA WRITE, RDMA READ, atomic) for RC QP {@code qp} in RTR, RTS or SQD. */
    void onRequest(QpContext qp, ByteBuffer b, PacketLayout l) {
        int psn = Bth.psn(b, l.bthOffset);
        int d = Bth.psnDiff(psn, qp.expectedPsn);
        OpCode op = l.opcode;
        if (d > 0) {
            if (!qp.sequenceNakSent) {
                qp.sequenceNakSent = true;
                qp.ackPending = false;
                hca.count(Counter.SEQ_NAKS_SENT);
                sendAck(qp, Aeth.nakSyndrome(Aeth.NAK_PSN_SEQUENCE_ERROR), qp.expectedPsn);
            }
            return;
        }
        if (d < 0) {
            duplicate(qp, b, l, psn, op);
            return;
        }
        qp.sequenceNakSent = false;
        switch (op.kind()) {
            case SEND -> respondSend(qp, b, l, psn, op);
            case RDMA_WRITE -> respondWrite(qp, b, l, psn, op);
            case RDMA_READ_REQUEST -> respondRead(qp, b, l, psn, false);
            case ATOMIC -> respondAtomic(qp, b, l, psn, op);
            default -> responderError(qp, Aeth.NAK_INVALID_REQUEST, psn, null);
        }
    }

    private void duplicate(QpContext qp, ByteBuffer b, PacketLayout l, int psn, OpCode op) {
        hca.count(Counter.DUPLICATES);
        switch (op.kind()) {
            case RDMA_READ_REQUEST -> respondRead(qp, b, l, psn, true);
            case ATOMIC -> {
                int slot = qp.findAtomic(psn);
                if (slot >= 0) {
                    qp.ackPending = false;
                    sendAtomicAck(qp, psn, qp.atomicResults[slot]);
                }
            }
            default -> scheduleAck(qp, Bth.psnAdd(qp.expectedPsn, -1));
        }
    }

    /**
     * Coalesces an acknowledgement: it goes out after the current batch of packets, or at once when
     * it covers a quarter of the requester's window. Without that limit a responder that always has a
     * batch to work through acknowledged a window only when it had executed all of it, and ran dry
     * while the ACK travelled back and the requester refilled the window, once per window
     * (EngineTuning.rcWindowPackets; the peer is taken to be tuned alike).
     */
    private void scheduleAck(QpContext qp, int psn) {
        qp.ackPsn = psn;
        if (!qp.ackPending) {
            qp.ackPending = true;
            qp.ackCoalescedFrom = psn;
            pendingAcks.add(qp);
        } else if (Bth.psnDiff(psn, qp.ackCoalescedFrom) >= ackCoalescePackets) {
            qp.ackPending = false; // afterFrames skips it, or queues it again if asked again
            sendAck(qp, Aeth.ackSyndrome(), psn);
            tx.flush(); // not at the end of the pass, which may be a long batch away
        }
    }

    /** The request with {@code psn} was executed: expect the next one and acknowledge if asked. */
    private void accepted(QpContext qp, int psn, ByteBuffer b, PacketLayout l) {
        qp.expectedPsn = Bth.psnAdd(psn, 1);
        if (Bth.ackRequest(b, l.bthOffset)) {
            scheduleAck(qp, psn);
        }
    }

    private void rnrNak(QpContext qp, int psn) {
        hca.count(Counter.RNR_NAKS_SENT);
        qp.ackPending = false;
        qp.sequenceNakSent = true; // what follows is dropped silently until the retry
        sendAck(qp, Aeth.rnrNakSyndrome(qp.attrs.minRnrTimer), psn);
    }

    /** NAKs {@code psn} and takes the responder's QP to ERR (IBA class C/D responder errors). */
    private void responderError(QpContext qp, int nakCode, int psn, AsyncEvent event) {
        qp.ackPending = false;
        sendAck(qp, Aeth.nakSyndrome(nakCode), psn);
        completions.enterError(qp, event);
    }

    private void remoteAccessError(QpContext qp, int psn, String what) {
        hca.count(Counter.REMOTE_ACCESS_ERRORS);
        responderError(qp, Aeth.NAK_REMOTE_ACCESS_ERROR, psn, new AsyncEvent(AsyncEventType.QP_FATAL, 0, qp.qpn,
                "remote access violation: " + what));
    }

    private void respondSend(QpContext qp, ByteBuffer b, PacketLayout l, int psn, OpCode op) {
        if (op.isFirst()) {
            if (qp.receiveInProgress) {
                responderError(qp, Aeth.NAK_INVALID_REQUEST, psn, null);
                return;
            }
            if (qp.receiveQueueEmpty()) {
                rnrNak(qp, psn);
                return;
            }
            qp.receiveInProgress = true;
            qp.receiveOffset = 0;
        } else if (!qp.receiveInProgress) {
            responderError(qp, Aeth.NAK_INVALID_REQUEST, psn, null);
            return;
        }
        RecvWqe w = qp.recvSlot(qp.rqConsumed);
        int len = l.payloadLength;
        if (qp.receiveOffset + len > w.totalLength) {
            qp.receiveInProgress = false;
            completions.completeRecv(qp, w, WcStatus.LOC_LEN_ERR, WcOpcode.RECV, (int) qp.receiveOffset, false, 0, false);
            responderError(qp, Aeth.NAK_INVALID_REQUEST, psn, null);
            return;
        }
        if (len > 0 && !MemoryAccess.scatter(qp.device, qp.pd, w.addresses, w.lengths, w.lkeys, w.sgeCount,
                qp.receiveOffset, l.payloadSource(b), l.payloadOffset, len)) {
            qp.receiveInProgress = false;
            completions.completeRecv(qp, w, WcStatus.LOC_PROT_ERR, WcOpcode.RECV, (int) qp.receiveOffset, false, 0, false);
            responderError(qp, Aeth.NAK_REMOTE_OPERATIONAL_ERROR, psn, null);
            return;
        }
        qp.receiveOffset += len;
        if (op.isLast()) {
            qp.receiveInProgress = false;
            boolean imm = op.hasImmediate();
            completions.completeRecv(qp, w, WcStatus.SUCCESS, WcOpcode.RECV, (int) qp.receiveOffset, imm,
                    imm ? ImmDt.value(b, l.immOffset) : 0, Bth.solicitedEvent(b, l.bthOffset));
            qp.advanceMsn();
        }
        accepted(qp, psn, b, l);
    }

    private void respondWrite(QpContext qp, ByteBuffer b, PacketLayout l, int psn, OpCode op) {
        boolean imm = op.hasImmediate();
        if (op.isFirst()) {
            if (qp.writeInProgress) {
                responderError(qp, Aeth.NAK_INVALID_REQUEST, psn, null);
                return;
            }
            long va = Reth.virtualAddress(b, l.rethOffset);
            int rkey = Reth.rkey(b, l.rethOffset);
            long len = Integer.toUnsignedLong(Reth.dmaLength(b, l.rethOffset));
            if (op.isLast() && imm && qp.receiveQueueEmpty()) {
                rnrNak(qp, psn);
                return;
            }
            if (len > 0 && remoteRegion(qp, rkey, va, len, AccessFlags.REMOTE_WRITE) == null) {
                remoteAccessError(qp, psn, "RDMA WRITE of " + len + " bytes at 0x" + Long.toHexString(va)
                        + " with R_Key 0x" + Integer.toHexString(rkey));
                return;
            }
            qp.writeInProgress = true;
            qp.writeAddress = va;
            qp.writeRkey = rkey;
            qp.writeRemaining = len;
            qp.writeTotal = len;
        } else {
            if (!qp.writeInProgress) {
                responderError(qp, Aeth.NAK_INVALID_REQUEST, psn, null);
                return;
            }
            if (op.isLast() && imm && qp.receiveQueueEmpty()) {
                rnrNak(qp, psn);
                return;
            }
        }
        int len = l.payloadLength;
        if (len > qp.writeRemaining || (op.isLast() && len != qp.writeRemaining)) {
            qp.writeInProgress = false;
            responderError(qp, Aeth.NAK_INVALID_REQUEST, psn, null);
            return;
        }
        if (len > 0) {
            Mpt m = remoteRegion(qp, qp.writeRkey, qp.writeAddress, len, AccessFlags.REMOTE_WRITE);
            if (m == null) {
                qp.writeInProgress = false;
                remoteAccessError(qp, psn, "RDMA WRITE continuation at 0x" + Long.toHexString(qp.writeAddress));
                return;
            }
            m.memory.put(m.offset(qp.writeAddress), l.payloadSource(b), l.payloadOffset, len);
            qp.writeAddress += len;
            qp.writeRemaining -= len;
        }
        if (op.isLast()) {
            writeDone(qp, imm, b, l.immOffset, Bth.solicitedEvent(b, l.bthOffset));
        }
        accepted(qp, psn, b, l);
    }

    /**
     * The last packet of an RDMA WRITE message was applied: the message is done, and a WRITE with
     * immediate consumes a receive WQE with the immediate data at {@code immAt} in {@code b}.
     */
    private void writeDone(QpContext qp, boolean imm, ByteBuffer b, int immAt, boolean solicited) {
        qp.writeInProgress = false;
        qp.advanceMsn();
        if (imm) {
            completions.completeRecv(qp, qp.recvSlot(qp.rqConsumed), WcStatus.SUCCESS, WcOpcode.RECV_RDMA_WITH_IMM,
                    (int) qp.writeTotal, true, ImmDt.value(b, immAt), solicited);
        }
    }

    /** The region granting the QP's peer {@code right} on {@code [va, va + len)}, or null (the QP lacks the right, or a check fails). */
    private static Mpt remoteRegion(QpContext qp, int rkey, long va, long len, int right) {
        return (qp.attrs.accessFlags & right) == 0 ? null : MemoryAccess.resolve(qp.device, rkey, qp.pd, va, len, right);
    }

    private void respondRead(QpContext qp, ByteBuffer b, PacketLayout l, int psn, boolean duplicate) {
        long va = Reth.virtualAddress(b, l.rethOffset);
        int rkey = Reth.rkey(b, l.rethOffset);
        long len = Integer.toUnsignedLong(Reth.dmaLength(b, l.rethOffset));
        if (len > Integer.MAX_VALUE) {
            if (!duplicate) {
                responderError(qp, Aeth.NAK_INVALID_REQUEST, psn, null);
            }
            return;
        }
        Mpt region = len > 0 ? remoteRegion(qp, rkey, va, len, AccessFlags.REMOTE_READ) : null;
        if (len > 0 && region == null) {
            if (!duplicate) {
                remoteAccessError(qp, psn, "RDMA READ of " + len + " bytes at 0x" + Long.toHexString(va) + " with R_Key 0x"
                        + Integer.toHexString(rkey));
            }
            return;
        }
        HcaPort port = qp.device.port(qp.attrs.port);
        if (port == null) {
            return;
        }
        int mtu = qp.attrs.pathMtu.bytes();
        int n = Math.max(1, (int) ((len + mtu - 1) / mtu));
        qp.ackPending = false; // the responses acknowledge everything before them
        if (!duplicate) {
            qp.advanceMsn();
            qp.expectedPsn = Bth.psnAdd(psn, n);
        }
        for (int k = 0; k < n; k++) {
            OpCode op = n == 1 ? OpCode.RC_RDMA_READ_RESPONSE_ONLY : k == 0 ? OpCode.RC_RDMA_READ_RESPONSE_FIRST
                    : k == n - 1 ? OpCode.RC_RDMA_READ_RESPONSE_LAST : OpCode.RC_RDMA_READ_RESPONSE_MIDDLE;
            int plen = (int) Math.min(mtu, len - (long) k * mtu);
            long at = va + (long) k * mtu;
            // the whole range was checked above, and all responses go out in this pass: no
            // command can deregister the region in between (commands run on this thread too)
            Frame f = hca.frames.acquire();
            ByteBuffer o = f.buffer();
            int p = PacketTransmitter.beginRc(o, qp, port, op, false, false, Bth.psnAdd(psn, k));
            if (op.has(OpCode.Headers.AETH)) {
                Aeth.write(o, p, Aeth.ackSyndrome(), qp.msn);
                p += Aeth.BYTES;
            }
            if (plen > 0) {
                o.put(p, region.memory, region.offset(at), plen);
                p += plen;
            }
            tx.transmit(port, f, p);
        }
    }

    private void respondAtomic(QpContext qp, ByteBuffer b, PacketLayout l, int psn, OpCode op) {
        long va = AtomicEth.virtualAddress(b, l.atomicEthOffset);
        int rkey = AtomicEth.rkey(b, l.atomicEthOffset);
        if ((va & 7) != 0) {
            responderError(qp, Aeth.NAK_INVALID_REQUEST, psn, null);
            return;
        }
        Mpt m = remoteRegion(qp, rkey, va, 8, AccessFlags.REMOTE_ATOMIC);
        if (m == null) {
            remoteAccessError(qp, psn, "atomic at 0x" + Long.toHexString(va) + " with R_Key 0x" + Integer.toHexString(rkey));
            return;
        }
        int at = m.offset(va);
        long original = m.memory.getLong(at);
        long operand = AtomicEth.swapOrAdd(b, l.atomicEthOffset);
        if (op == OpCode.RC_COMPARE_SWAP) {
            if (original == AtomicEth.compare(b, l.atomicEthOffset)) {
                m.memory.putLong(at, operand);
            }
        } else {
            m.memory.putLong(at, original + operand);
        }
        qp.rememberAtomic(psn, original);
        qp.advanceMsn();
        qp.expectedPsn = Bth.psnAdd(psn, 1);
        qp.ackPending = false;
        sendAtomicAck(qp, psn, original);
    }
}
