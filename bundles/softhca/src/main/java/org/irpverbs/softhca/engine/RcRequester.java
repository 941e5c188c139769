package org.irpverbs.softhca.engine;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.function.Consumer;
import org.irpverbs.softhca.engine.SoftHca.Counter;
import org.irpverbs.softhca.fabric.FabricPort;
import org.irpverbs.softhca.fabric.Frame;
import org.irpverbs.softhca.wire.Aeth;
import org.irpverbs.softhca.wire.AtomicAckEth;
import org.irpverbs.softhca.wire.AtomicEth;
import org.irpverbs.softhca.wire.Bth;
import org.irpverbs.softhca.wire.Icrc;
import org.irpverbs.softhca.wire.ImmDt;
import org.irpverbs.softhca.wire.Lrh;
import org.irpverbs.softhca.wire.OpCode;
import org.irpverbs.softhca.wire.PacketLayout;
import org.irpverbs.softhca.wire.Reth;
import org.irpverbs.softhca.wire.RnrTimer;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.SendFlags;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WrOpcode;

/**
 * The RC requester (IBA 9.7): messages are cut into path-MTU packets (FIRST/MIDDLE/LAST or ONLY)
 * with consecutive 24-bit PSNs; AckReq is set on the last packet and every
 * {@link EngineTuning#ackRequestInterval()} packets; at most {@link EngineTuning#rcWindowPackets()}
 * PSNs are unacknowledged; RDMA READ and atomics are limited by the QP's max_rd_atomic and wait
 * for a FENCE. An ACK acknowledges every PSN up to its own (coalescing); a NAK PSN sequence error
 * or a timeout goes back to the first unacknowledged PSN and resends from there ("go back N"); a
 * read response or ACK that passes an unanswered READ or atomic is an implicit NAK. The local ACK
 * timer is 4.096 µs × 2^timeout scaled by {@link EngineTuning#timerScale()}, with retry_cnt
 * retries before RETRY_EXC_ERR (timeout 0 = infinite: no timer). An RNR NAK waits the RNR timer
 * it carries (scaled) and resends, up to rnr_retry times (7 = infinite) before RNR_RETRY_EXC_ERR.
 * Up to {@link Frame#MAX_RUN_SEGMENTS} packets of a SEND or WRITE go to an in-process receiver as
 * one segment run. Completions go through {@link CompletionWriter} in posting order.
 *
 * <p>Owns the requester fields of {@link QpContext} (send cursor, PSNs, counters, timers) and the
 * transport state of {@link SendWqe}s. Not thread-safe: the engine's pass only (EngineThread
 * serialises the passes); its timers are {@code IoManager} timers whose expiry is control work
 * on the engine thread. Allocation per packet: none; a timer allocates its two callbacks.
 */
final class RcRequester {
    private final SoftHca hca;
    private final EngineTuning tuning;
    /** For the RNR timer, which services the QP as a doorbell would. */
    private final Transport transport;
    private final PacketTransmitter tx;
    private final CompletionWriter completions;
    private final ByteBuffer scratch8 = ByteBuffer.allocate(8);
    /** QPs whose ACK timer expired while packets waited in the inbox (see {@link #expireRetryTimer}). */
    private final ArrayDeque<QpContext> retryDecisionsAfterInbox = new ArrayDeque<>();
    private final Consumer<QpContext> onRetryTimer = this::onRetryTimer;
    private final Consumer<QpContext> onRnrTimer = this::onRnrTimer;

    RcRequester(SoftHca hca, Transport transport, PacketTransmitter tx, CompletionWriter completions) {
        this.hca = hca;
        this.tuning = hca.tuning;
        this.transport = transport;
        this.tx = tx;
        this.completions = completions;
    }

    /** The QP was reset or went to ERR: its pending retry and RNR timers do nothing when they fire. */
    static void stopTimers(QpContext qp) {
        qp.timerGeneration++;
        qp.retryTimerArmed = false;
        qp.rnrWaiting = false;
    }

    private static int packetsFor(SendWqe w, int mtu) {
        if (w.opcode == WrOpcode.ATOMIC_CMP_AND_SWP || w.opcode == WrOpcode.ATOMIC_FETCH_AND_ADD) {
            return 1;
        }
        return Math.max(1, (int) (((long) w.totalLength + mtu - 1) / mtu));
    }

    /** Sends what the window, the burst limit, FENCE and max_rd_atomic allow of RC QP {@code qp}'s send queue (RTS). */
    void send(QpContext qp) {
        HcaPort port = qp.device.port(qp.attrs.port);
        if (port == null || qp.attrs.pathMtu == null) {
            return;
        }
        int mtu = qp.attrs.pathMtu.bytes();
        int burst = 0;
        while (qp.state == QpState.RTS && !qp.rnrWaiting && qp.sendIndex < qp.sqProduced) {
            if (qp.windowUsed() >= tuning.rcWindowPackets()) {
                break;
            }
            if (burst >= tuning.sendBurstPackets()) {
                hca.engine.ring(qp); // fairness: come back after other work
                break;
            }
            SendWqe w = qp.sendSlot(qp.sendIndex);
            if (w.error != null) {
                break; // failed: it completes when the WQEs before it have
            }
            if (w.started && w.done) {
                // acknowledged while the cursor was behind it (a retransmission pass)
                qp.nextPsn = Bth.psnAdd(w.firstPsn, w.npkts);
                qp.sendIndex++;
                continue;
            }
            if (!w.started) {
                boolean readOrAtomic = w.isReadOrAtomic();
                if ((w.flags & SendFlags.FENCE) != 0 && qp.outstandingReadAtomic > 0) {
                    break;
                }
                if (readOrAtomic && qp.outstandingReadAtomic >= Math.max(1, qp.attrs.maxReadAtomic)) {
                    break;
                }
                WcStatus err = w.checkLocal(qp);
                if (err != null) {
                    completions.fail(qp, w, err);
                    break;
                }
                w.firstPsn = qp.nextPsn;
                w.npkts = packetsFor(w, mtu);
                w.sentPkts = 0;
                w.readPktsReceived = 0;
                w.started = true;
                w.done = false;
                if (readOrAtomic) {
                    qp.outstandingReadAtomic++;
                }
            }
            if (qp.unacked() == 0) {
                qp.lastProgressNanos = System.nanoTime(); // the ACK clock starts with the first packet out
            }
            switch (w.opcode) {
                case RDMA_READ -> {
                    sendReadRequest(qp, port, w, mtu);
                    burst++;
                    qp.sendIndex++;
                }
                case ATOMIC_CMP_AND_SWP, ATOMIC_FETCH_AND_ADD -> {
                    sendAtomicRequest(qp, port, w);
                    burst++;
                    qp.sendIndex++;
                }
                default -> {
                    while (w.sentPkts < w.npkts && qp.windowUsed() < tuning.rcWindowPackets()
                            && burst < tuning.sendBurstPackets()) {
                        int run = runLength(qp, port, w, mtu, burst);
                        boolean sent = run > 1 ? sendSegmentRun(qp, port, w, mtu, run) : sendDataPacket(qp, port, w, mtu);
                        if (!sent) {
                            completions.fail(qp, w, WcStatus.LOC_PROT_ERR); // the region went away mid-message
                            return;
                        }
                        burst += run;
                    }
                    if (w.sentPkts == w.npkts) {
                        qp.sendIndex++;
                    }
                }
            }
            armRetryTimer(qp);
        }
    }

    /** The opcode of packet {@code k} of a SEND or RDMA WRITE message. */
    private static OpCode dataOpcode(SendWqe w, int k) {
        boolean first = k == 0;
        boolean last = k == w.npkts - 1;
        boolean imm = w.opcode == WrOpcode.SEND_WITH_IMM || w.opcode == WrOpcode.RDMA_WRITE_WITH_IMM;
        if (w.opcode == WrOpcode.RDMA_WRITE || w.opcode == WrOpcode.RDMA_WRITE_WITH_IMM) {
            return first && last ? (imm ? OpCode.RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE : OpCode.RC_RDMA_WRITE_ONLY)
                    : first ? OpCode.RC_RDMA_WRITE_FIRST
                    : last ? (imm ? OpCode.RC_RDMA_WRITE_LAST_WITH_IMMEDIATE : OpCode.RC_RDMA_WRITE_LAST)
                    : OpCode.RC_RDMA_WRITE_MIDDLE;
        }
        return first && last ? (imm ? OpCode.RC_SEND_ONLY_WITH_IMMEDIATE : OpCode.RC_SEND_ONLY)
                : first ? OpCode.RC_SEND_FIRST
                : last ? (imm ? OpCode.RC_SEND_LAST_WITH_IMMEDIATE : OpCode.RC_SEND_LAST)
                : OpCode.RC_SEND_MIDDLE;
    }

    /** Whether packet {@code k} of a message asks for an ACK: the last, and every ackRequestInterval-th. */
    private boolean ackRequested(SendWqe w, int k) {
        return k == w.npkts - 1 || (k + 1) % tuning.ackRequestInterval() == 0;
    }

    /**
     * {@link #ackRequested} for packets {@code k0 .. k0 + k - 1} as a run's flag bits: every
     * interval-th packet is found by stepping, not by a division per packet (this runs for every
     * run a requester sends).
     */
    private long ackRequestFlags(SendWqe w, int k0, int k) {
        int interval = tuning.ackRequestInterval();
        long flags = 0;
        for (int i = interval - 1 - k0 % interval; i < k; i += interval) {
            flags |= 1L << i;
        }
        if (k0 + k == w.npkts) {
            flags |= 1L << (k - 1);
        }
        return flags;
    }

    private boolean sendDataPacket(QpContext qp, HcaPort port, SendWqe w, int mtu) {
        int k = w.sentPkts;
        int offset = k * mtu;
        int len = Math.min(mtu, w.totalLength - offset);
        boolean last = k == w.npkts - 1;
        OpCode op = dataOpcode(w, k);
        int psn = Bth.psnAdd(w.firstPsn, k);
        boolean ackReq = ackRequested(w, k);
        Frame f = hca.frames.acquire();
        ByteBuffer b = f.buffer();
        int p = PacketTransmitter.beginRc(b, qp, port, op, last && w.solicited, ackReq, psn);
        if (op.has(OpCode.Headers.RETH)) {
            Reth.write(b, p, w.remoteAddress, w.rkey, w.totalLength);
            p += Reth.BYTES;
        }
        if (op.hasImmediate()) {
            ImmDt.write(b, p, w.immediate);
            p += ImmDt.BYTES;
        }
        if (len > 0) {
            boolean ok;
            if (w.isInline) {
                b.put(p, w.inline, offset, len);
                ok = true;
            } else {
                ok = MemoryAccess.gather(qp.device, qp.pd, w.addresses, w.lengths, w.lkeys, w.sgeCount, offset, b, p, len);
            }
            if (!ok) {
                f.release();
                return false;
            }
            p += len;
        }
        tx.transmit(port, f, p);
        w.sentPkts = k + 1;
        advance(qp, Bth.psnAdd(psn, 1));
        return true;
    }

    /**
     * How many of the WQE's next packets go out as one segment run: as many as the window, the
     * burst and {@link Frame#MAX_RUN_SEGMENTS} allow, if the port takes a run for the destination;
     * else 1 (a plain packet). Inline data is at most one packet anyway.
     */
    private int runLength(QpContext qp, HcaPort port, SendWqe w, int mtu, int burst) {
        if (w.isInline) {
            return 1;
        }
        int k = Math.min(w.npkts - w.sentPkts, Math.min(tuning.rcWindowPackets() - qp.windowUsed(),
                tuning.sendBurstPackets() - burst));
        k = Math.min(k, Frame.MAX_RUN_SEGMENTS);
        if (k < 2) {
            return 1;
        }
        FabricPort fp = port.fabricPort;
        return fp != null && fp.segmentationOffload(qp.attrs.destLid, mtu) ? k : 1;
    }

    /**
     * Sends packets {@code sentPkts .. sentPkts + k - 1} of a SEND or WRITE as one segment run
     * (see {@link Frame#segments()}): the first packet's headers, the last packet's immediate data,
     * and the payload as checked references to the local regions (copied once, by the receiving
     * engine, straight into its own memory); the receiving engine processes it packet by packet
     * ({@code Transport.receiveRun}). The in-process form of what a NIC's segmentation offload does with a
     * large send: the packets exist as such only if they have to cross a wire.
     */
    private boolean sendSegmentRun(QpContext qp, HcaPort port, SendWqe w, int mtu, int k) {
        int k0 = w.sentPkts;
        int offset = k0 * mtu;
        int total = (int) Math.min((long) k * mtu, (long) w.totalLength - offset);
        OpCode firstOp = dataOpcode(w, k0);
        OpCode lastOp = dataOpcode(w, k0 + k - 1);
        int psn = Bth.psnAdd(w.firstPsn, k0);
        long flags = ackRequestFlags(w, k0, k);
        if (k0 + k == w.npkts && w.solicited) {
            flags |= Frame.RUN_SE_ON_LAST;
        }
        // an ordinary packet frame: the run's first packet decodes in it as if it held its payload
        Frame f = hca.frames.acquire();
        ByteBuffer b = f.buffer();
        int p = PacketTransmitter.beginRc(b, qp, port, firstOp, false, (flags & 1) != 0, psn);
        if (firstOp.has(OpCode.Headers.RETH)) {
            Reth.write(b, p, w.remoteAddress, w.rkey, w.totalLength);
            p += Reth.BYTES;
        }
        int headerBytes = p;
        if (!MemoryAccess.gatherRefs(qp.device, qp.pd, w.addresses, w.lengths, w.lkeys, w.sgeCount, offset, total, f)) {
            f.release();
            return false;
        }
        if (lastOp.hasImmediate()) {
            ImmDt.write(b, p, w.immediate);
            p += ImmDt.BYTES;
        }
        // the first packet's own lengths (a full segment: no pad)
        Bth.setPadCount(b, Lrh.BYTES, 0);
        Lrh.setPacketLength(b, 0, (headerBytes + mtu + Icrc.BYTES) >>> 2);
        int lastPayload = total - (k - 1) * mtu;
        int plainHeaders = Lrh.BYTES + Bth.BYTES;
        int wire = headerBytes + mtu + Icrc.BYTES + (k - 2) * (plainHeaders + mtu + Icrc.BYTES) + plainHeaders
                + (lastOp.hasImmediate() ? ImmDt.BYTES : 0) + lastPayload + ((-lastPayload) & 3) + Icrc.BYTES;
        f.setLength(p).setIcrcOffloaded(true).setSegmentRun(k, mtu, flags, lastOp.code(), wire);
        FabricPort fp = port.fabricPort;
        if (fp == null) {
            f.release();
        } else {
            tx.handOff(fp, f, k);
        }
        w.sentPkts = k0 + k;
        advance(qp, Bth.psnAdd(psn, k));
        return true;
    }

    private void sendReadRequest(QpContext qp, HcaPort port, SendWqe w, int mtu) {
        long offset = (long) w.readPktsReceived * mtu;
        int psn = Bth.psnAdd(w.firstPsn, w.readPktsReceived);
        Frame f = hca.frames.acquire();
        ByteBuffer b = f.buffer();
        int p = PacketTransmitter.beginRc(b, qp, port, OpCode.RC_RDMA_READ_REQUEST, false, true, psn);
        Reth.write(b, p, w.remoteAddress + offset, w.rkey, (int) (w.totalLength - offset));
        tx.transmit(port, f, p + Reth.BYTES);
        w.readRequestStart = w.readPktsReceived;
        w.sentPkts = w.npkts;
        advance(qp, Bth.psnAdd(w.firstPsn, w.npkts));
    }

    /** The cursor moved past a packet: {@code next} is the PSN after it. */
    private static void advance(QpContext qp, int next) {
        qp.nextPsn = next;
        if (Bth.psnDiff(next, qp.highestPsn) > 0) {
            qp.highestPsn = next;
        }
    }

    private void sendAtomicRequest(QpContext qp, HcaPort port, SendWqe w) {
        boolean cas = w.opcode == WrOpcode.ATOMIC_CMP_AND_SWP;
        Frame f = hca.frames.acquire();
        ByteBuffer b = f.buffer();
        int p = PacketTransmitter.beginRc(b, qp, port, cas ? OpCode.RC_COMPARE_SWAP : OpCode.RC_FETCH_ADD, false, true, w.firstPsn);
        AtomicEth.write(b, p, w.remoteAddress, w.rkey, cas ? w.swap : w.compareAdd, cas ? w.compareAdd : 0);
        tx.transmit(port, f, p + AtomicEth.BYTES);
        w.sentPkts = 1;
        advance(qp, Bth.psnAdd(w.firstPsn, 1));
    }

    /** Progress was made: the retry counters start again and the ACK clock restarts. */
    private static void progress(QpContext qp) {
        qp.lastProgressNanos = System.nanoTime();
        qp.retryCounter = 0;
        qp.rnrCounter = 0;
    }

    /** The first unfinished READ or atomic among the WQEs sent, or null. */
    private static SendWqe firstPendingReadOrAtomic(QpContext qp) {
        for (long i = qp.sqConsumed; i < qp.sqProduced; i++) {
            SendWqe w = qp.sendSlot(i);
            if (!w.started) {
                break;
            }
            if (!w.done && w.error == null && w.isReadOrAtomic()) {
                return w;
            }
        }
        return null;
    }

    /** The PSN a READ or atomic still waits for. */
    private static int expectedResponsePsn(SendWqe w) {
        return w.opcode == WrOpcode.RDMA_READ ? Bth.psnAdd(w.firstPsn, w.readPktsReceived) : w.firstPsn;
    }

    /**
     * Everything up to and including {@code lastPsn} is acknowledged: SEND and WRITE WQEs wholly
     * covered are done, and if the send cursor is behind (a retransmission pass after a timeout
     * that was not needed), it moves forward past what is acknowledged. An acknowledgement that
     * passes an unanswered READ or atomic means its responses were lost (an implicit NAK):
     * acknowledge up to it and send it again.
     */
    private void ackUpTo(QpContext qp, int lastPsn) {
        int target = Bth.psnAdd(lastPsn, 1);
        if (Bth.psnDiff(target, qp.unackedPsn) <= 0 || Bth.psnDiff(target, qp.highestPsn) > 0) {
            return; // old, or beyond anything sent
        }
        boolean lost = false;
        for (long i = qp.sqConsumed; i < qp.sqProduced; i++) {
            SendWqe w = qp.sendSlot(i);
            if (!w.started) {
                break;
            }
            if (w.done) {
                continue;
            }
            if (w.isReadOrAtomic()) {
                int expect = expectedResponsePsn(w);
                if (Bth.psnDiff(target, expect) > 0) {
                    target = expect;
                    lost = true;
                }
                break;
            }
            if (Bth.psnDiff(Bth.psnAdd(w.firstPsn, w.npkts), target) > 0) {
                break;
            }
            w.done = true;
        }
        if (Bth.psnDiff(target, qp.unackedPsn) > 0) {
            qp.unackedPsn = target;
            progress(qp);
        }
        if (lost || Bth.psnDiff(qp.unackedPsn, qp.nextPsn) > 0) {
            moveCursor(qp, qp.unackedPsn);
        }
    }

    /** The WQE whose PSN range holds {@code psn}, or null. */
    private static SendWqe wqeAt(QpContext qp, int psn) {
        for (long i = qp.sqConsumed; i < qp.sqProduced; i++) {
            SendWqe w = qp.sendSlot(i);
            if (!w.started) {
                break;
            }
            if (w.error == null && Bth.psnDiff(psn, w.firstPsn) >= 0
                    && Bth.psnDiff(psn, Bth.psnAdd(w.firstPsn, w.npkts)) < 0) {
                return w;
            }
        }
        return null;
    }

    /**
     * Moves the send cursor to {@code psn}: back for a retransmission (go back N: that packet and
     * everything after it is sent again), or forward past what an acknowledgement covered. PSN
     * assignments stay: packetisation is deterministic, so a resent packet carries its old PSN.
     */
    private static void moveCursor(QpContext qp, int psn) {
        for (long i = qp.sqConsumed; i < qp.sqProduced; i++) {
            SendWqe w = qp.sendSlot(i);
            if (!w.started || w.error != null) {
                qp.sendIndex = i;
                qp.nextPsn = psn;
                return;
            }
            if (w.done || Bth.psnDiff(psn, Bth.psnAdd(w.firstPsn, w.npkts)) >= 0) {
                continue;
            }
            qp.sendIndex = i;
            switch (w.opcode) {
                case RDMA_READ -> {
                    w.sentPkts = 0;
                    qp.nextPsn = Bth.psnAdd(w.firstPsn, w.readPktsReceived);
                }
                case ATOMIC_CMP_AND_SWP, ATOMIC_FETCH_AND_ADD -> {
                    w.sentPkts = 0;
                    qp.nextPsn = w.firstPsn;
                }
                default -> {
                    int k = Math.max(0, Bth.psnDiff(psn, w.firstPsn));
                    w.sentPkts = k;
                    qp.nextPsn = Bth.psnAdd(w.firstPsn, k);
                }
            }
            for (long j = i + 1; j < qp.sqProduced; j++) {
                SendWqe later = qp.sendSlot(j);
                if (!later.started) {
                    break;
                }
                if (!later.done && later.error == null) {
                    later.sentPkts = 0;
                }
            }
            return;
        }
        qp.sendIndex = qp.sqProduced;
        qp.nextPsn = psn;
    }

    private long ackTimeoutNanos(QpContext qp) {
        return tuning.scaled(4096L << Math.min(qp.attrs.timeout, 31));
    }

    private void armRetryTimer(QpContext qp) {
        if (qp.retryTimerArmed || qp.attrs.timeout == 0 || qp.unacked() <= 0) {
            return;
        }
        qp.retryTimerArmed = true;
        schedule(qp, ackTimeoutNanos(qp), onRetryTimer);
    }

    /** Runs {@code action} on the engine after {@code nanos} unless the QP was reset, failed or replaced meanwhile. */
    private void schedule(QpContext qp, long nanos, Consumer<QpContext> action) {
        int generation = qp.timerGeneration;
        hca.io.schedule(nanos, () -> hca.engine.submit(() -> {
            if (qp.timerGeneration == generation && Transport.live(hca, qp)) {
                action.accept(qp);
            }
        }));
    }

    private void onRetryTimer(QpContext qp) {
        expireRetryTimer(qp, true);
    }

    /**
     * The local ACK timer expired: unless there was progress since it was armed (then it is armed
     * again for the rest), the oldest unacknowledged packet and everything after it are resent.
     * But packets that arrived before the expiry and still wait in the inbox may hold the ACK: the
     * engine runs control work (this expiry) before the packets of its pass, so a stall of the
     * engine longer than the timeout (its thread preempted, or a busy poller holding the pass)
     * would otherwise resend a window the responder executed and acknowledged in time. Then the
     * decision waits until those packets were processed ({@link #afterFrames}), once.
     */
    private void expireRetryTimer(QpContext qp, boolean mayWaitForInbox) {
        qp.retryTimerArmed = false;
        if ((qp.state != QpState.RTS && qp.state != QpState.SQD) || qp.unacked() <= 0 || qp.rnrWaiting) {
            return;
        }
        long timeout = ackTimeoutNanos(qp);
        long idle = System.nanoTime() - qp.lastProgressNanos;
        if (idle < timeout) {
            qp.retryTimerArmed = true;
            schedule(qp, timeout - idle, onRetryTimer);
            return;
        }
        int waiting = hca.engine.inboxSize();
        if (mayWaitForInbox && waiting > 0 && !qp.retryDecisionWaits) {
            qp.retryTimerArmed = true; // still deciding on this expiry: no second timer meanwhile
            qp.retryDecisionWaits = true;
            qp.retryDecisionAfterFrames = hca.engine.framesTaken() + waiting;
            qp.retryDecisionGeneration = qp.timerGeneration;
            retryDecisionsAfterInbox.add(qp);
            return;
        }
        SendWqe w = wqeAt(qp, qp.unackedPsn);
        if (++qp.retryCounter > qp.attrs.retryCount) {
            if (w != null) {
                completions.fail(qp, w, WcStatus.RETRY_EXC_ERR);
            } else {
                completions.enterError(qp, null);
            }
            return;
        }
        hca.count(Counter.RETRANSMIT_TIMEOUTS);
        moveCursor(qp, qp.unackedPsn);
        qp.lastProgressNanos = System.nanoTime();
        send(qp);
        armRetryTimer(qp);
    }

    /**
     * After a batch of received packets: the retry timers that expired while packets waited in the
     * inbox decide, once the packets that were waiting then have been processed. Nothing to do on
     * almost every batch (one emptiness check).
     */
    void afterFrames() {
        ArrayDeque<QpContext> waiting = retryDecisionsAfterInbox;
        if (waiting.isEmpty()) {
            return;
        }
        long taken = hca.engine.framesTaken();
        for (int n = waiting.size(); n > 0; n--) {
            QpContext qp = waiting.poll();
            if (taken - qp.retryDecisionAfterFrames < 0) {
                waiting.add(qp);
                continue;
            }
            qp.retryDecisionWaits = false;
            if (qp.retryDecisionGeneration == qp.timerGeneration && Transport.live(hca, qp)) {
                expireRetryTimer(qp, false);
            }
        }
    }

    private void onRnrTimer(QpContext qp) {
        qp.rnrWaiting = false;
        qp.lastProgressNanos = System.nanoTime();
        transport.serviceQp(qp);
    }

    /** ACK, NAK, read response or atomic ACK for this requester (RC QP {@code qp} in RTS or SQD). */
    void onResponse(QpContext qp, ByteBuffer b, PacketLayout l) {
        int psn = Bth.psn(b, l.bthOffset);
        OpCode op = l.opcode;
        if (op.kind() == OpCode.Kind.RDMA_READ_RESPONSE) {
            readResponse(qp, b, l, psn, op);
            return;
        }
        int syndrome = Aeth.syndrome(b, l.aethOffset);
        switch (Aeth.type(syndrome)) {
            case ACK -> {
                if (op == OpCode.RC_ATOMIC_ACKNOWLEDGE) {
                    atomicAck(qp, b, l, psn);
                } else {
                    ackUpTo(qp, psn);
                    completions.completeInOrder(qp);
                    if (qp.state == QpState.RTS) {
                        send(qp);
                    }
                }
            }
            case RNR_NAK -> rnrNakReceived(qp, psn, syndrome & 0x1F);
            case NAK -> nakReceived(qp, psn, syndrome & 0x1F);
            default -> {
                // reserved syndrome: ignored
            }
        }
    }

    /**
     * What every NAK for {@code psn} first means: everything before it was received. Returns the
     * WQE the NAK is about, or null if there is nothing left to do (no such WQE, already done, or
     * the QP went to ERR while completing).
     */
    private SendWqe nakedWqe(QpContext qp, int psn) {
        SendWqe w = wqeAt(qp, psn);
        if (w == null || w.done) {
            return null;
        }
        ackUpTo(qp, Bth.psnAdd(psn, -1));
        completions.completeInOrder(qp);
        return qp.state == QpState.ERR ? null : w;
    }

    private void rnrNakReceived(QpContext qp, int psn, int timerCode) {
        SendWqe w = nakedWqe(qp, psn);
        if (w == null) {
            return;
        }
        hca.count(Counter.RNR_NAKS_RECEIVED);
        if (qp.attrs.rnrRetry != 7 && ++qp.rnrCounter > qp.attrs.rnrRetry) {
            completions.fail(qp, w, WcStatus.RNR_RETRY_EXC_ERR);
            return;
        }
        moveCursor(qp, psn);
        qp.rnrWaiting = true;
        schedule(qp, tuning.scaled(RnrTimer.nanos(timerCode)), onRnrTimer);
    }

    private void nakReceived(QpContext qp, int psn, int code) {
        if (code == Aeth.NAK_PSN_SEQUENCE_ERROR) {
            if (qp.rnrWaiting) {
                return; // the responder dropped what followed an RNR NAK; the RNR retry resends it
            }
            SendWqe w = nakedWqe(qp, psn);
            if (w == null) {
                return;
            }
            hca.count(Counter.SEQ_NAKS_RECEIVED);
            if (++qp.retryCounter > qp.attrs.retryCount) {
                completions.fail(qp, w, WcStatus.RETRY_EXC_ERR);
                return;
            }
            moveCursor(qp, psn);
            send(qp);
            return;
        }
        SendWqe w = wqeAt(qp, psn);
        if (w == null) {
            return;
        }
        ackUpTo(qp, Bth.psnAdd(psn, -1));
        WcStatus status = switch (code) {
            case Aeth.NAK_INVALID_REQUEST -> WcStatus.REM_INV_REQ_ERR;
            case Aeth.NAK_REMOTE_ACCESS_ERROR -> WcStatus.REM_ACCESS_ERR;
            case Aeth.NAK_REMOTE_OPERATIONAL_ERROR -> WcStatus.REM_OP_ERR;
            default -> WcStatus.BAD_RESP_ERR;
        };
        completions.fail(qp, w, status);
    }

    private static OpCode.Pos position(int index, int count) {
        return count == 1 ? OpCode.Pos.ONLY : index == 0 ? OpCode.Pos.FIRST : index == count - 1 ? OpCode.Pos.LAST
                : OpCode.Pos.MIDDLE;
    }

    private void readResponse(QpContext qp, ByteBuffer b, PacketLayout l, int psn, OpCode op) {
        SendWqe w = firstPendingReadOrAtomic(qp);
        if (w == null || w.opcode != WrOpcode.RDMA_READ) {
            return; // a late duplicate
        }
        int expect = expectedResponsePsn(w);
        int d = Bth.psnDiff(psn, expect);
        if (d < 0) {
            return; // duplicate of a response already placed
        }
        if (d > 0) {
            // a response was lost: ask again for the rest, unless the latest request already starts there
            // (then the local ACK timer recovers); so a burst of later responses asks only once
            if (w.readRequestStart < w.readPktsReceived) {
                moveCursor(qp, expect);
                send(qp);
            }
            return;
        }
        int k = w.readPktsReceived;
        // positions count from the original request or from the latest re-request for what remained
        if (op.position() != position(k, w.npkts)
                && op.position() != position(k - w.readRequestStart, w.npkts - w.readRequestStart)) {
            completions.fail(qp, w, WcStatus.BAD_RESP_ERR);
            return;
        }
        int mtu = qp.attrs.pathMtu.bytes();
        long offset = (long) k * mtu;
        int len = (int) Math.min(mtu, w.totalLength - offset);
        if (l.payloadLength != len) {
            completions.fail(qp, w, WcStatus.BAD_RESP_ERR);
            return;
        }
        if (k == 0) {
            ackUpTo(qp, Bth.psnAdd(w.firstPsn, -1)); // a read response acknowledges every request before it
        }
        if (len > 0 && !MemoryAccess.scatter(qp.device, qp.pd, w.addresses, w.lengths, w.lkeys, w.sgeCount, offset, b,
                l.payloadOffset, len)) {
            completions.fail(qp, w, WcStatus.LOC_PROT_ERR);
            return;
        }
        w.readPktsReceived = k + 1;
        if (Bth.psnDiff(Bth.psnAdd(psn, 1), qp.unackedPsn) > 0) {
            qp.unackedPsn = Bth.psnAdd(psn, 1);
        }
        progress(qp);
        if (w.readPktsReceived == w.npkts) {
            w.done = true;
            qp.outstandingReadAtomic--;
            completions.completeInOrder(qp);
            if (qp.state == QpState.RTS) {
                send(qp);
            }
        }
    }

    private void atomicAck(QpContext qp, ByteBuffer b, PacketLayout l, int psn) {
        SendWqe w = firstPendingReadOrAtomic(qp);
        if (w == null || w.opcode == WrOpcode.RDMA_READ || w.firstPsn != psn) {
            return; // a duplicate or stale answer
        }
        ackUpTo(qp, Bth.psnAdd(psn, -1));
        ByteBuffer v = scratch8;
        v.putLong(0, AtomicAckEth.originalData(b, l.atomicAckEthOffset));
        if (!MemoryAccess.scatter(qp.device, qp.pd, w.addresses, w.lengths, w.lkeys, w.sgeCount, 0, v, 0, 8)) {
            completions.fail(qp, w, WcStatus.LOC_PROT_ERR);
            return;
        }
        w.done = true;
        w.readPktsReceived = 1;
        qp.outstandingReadAtomic--;
        if (Bth.psnDiff(Bth.psnAdd(psn, 1), qp.unackedPsn) > 0) {
            qp.unackedPsn = Bth.psnAdd(psn, 1);
        }
        progress(qp);
        completions.completeInOrder(qp);
        if (qp.state == QpState.RTS) {
            send(qp);
        }
    }
}
