package org.irpverbs.softhca.engine;

import java.util.concurrent.atomic.AtomicBoolean;
import org.irpverbs.irp.SpinLock;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.wire.Bth;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;

/**
 * A queue pair context (QPC plus its work queues), created by RST2INIT and reset by TO_RST.
 *
 * <p>Threads: posting threads fill queue slots under {@link #sqLock}/{@link #rqLock} and publish
 * them by advancing the producer index (for the receive queue that index is the doorbell record
 * the engine reads); the engine owns everything else (transport state, attributes, the consumer
 * indexes it advances when WQEs complete), one pass at a time: its thread, or a busy-polling
 * consumer for packet and doorbell work (attributes change only in commands, on its thread). {@link #state} is written by the engine (under
 * both locks when a transition must fence out concurrent posts) and read by posters.
 */
final class QpContext {
    final int qpn;
    final DeviceState device;
    final QpType type;
    final int pd;
    final CqContext sendCq;
    final CqContext recvCq;
    final int maxSge;
    final int maxInline;
    final boolean signalAll;
    /** The attributes given so far (engine thread); {@link QpAttributes#mask} accumulates. */
    final QpAttributes attrs = new QpAttributes();

    /**
     * Set at RST2INIT when CONF_SPECIAL_QP made this context a port's QP0 or QP1 (null otherwise):
     * then it is reached, and sends, as QPN {@link #wireQpn} of its port only.
     */
    org.irpverbs.verbs.SpecialQpType special;
    /** The QPN packets carry for this QP: {@link #qpn}, or 0/1 for a special QP. */
    int wireQpn;

    volatile QpState state = QpState.RESET;
    /** Between RST2INIT and TO_RST: holds its CQs and its ICM chunk (engine thread). */
    boolean live;

    // ---- send queue ----
    final SpinLock sqLock = new SpinLock();
    final SendWqe[] sq;
    volatile long sqProduced;
    volatile long sqConsumed;

    // ---- receive queue ----
    final SpinLock rqLock = new SpinLock();
    final RecvWqe[] rq;
    /** The receive doorbell record: WQEs posted (the driver bumps it, the engine reads it). */
    volatile long rqProduced;
    volatile long rqConsumed;

    /** Queued on the engine's doorbell queue (deduplicates doorbells while queued). */
    final AtomicBoolean scheduled = new AtomicBoolean();

    // ---- RC requester, the engine's pass ----
    /** The send cursor: the WQE being (re)transmitted and the PSN of the next packet out. */
    long sendIndex;
    int nextPsn;
    /** One past the highest PSN sent so far (a retransmission moves the cursor back, not this). */
    int highestPsn;
    int unackedPsn;
    int outstandingReadAtomic;
    int retryCounter;
    int rnrCounter;
    boolean rnrWaiting;
    boolean retryTimerArmed;
    long lastProgressNanos;
    /** Bumped to invalidate timers when the QP is reset or errs. */
    int timerGeneration;
    /** The ACK timer expired while packets waited in the inbox: it decides after the first of them (RcRequester). */
    boolean retryDecisionWaits;
    /** EngineThread#framesTaken once the packets that waited at the expiry have been processed. */
    long retryDecisionAfterFrames;
    /** {@link #timerGeneration} at that expiry: a reset or error meanwhile cancels the decision. */
    int retryDecisionGeneration;

    // ---- RC responder, the engine's pass ----
    int expectedPsn;
    int msn;
    boolean sequenceNakSent;
    boolean receiveInProgress;
    long receiveOffset;
    boolean writeInProgress;
    long writeAddress;
    int writeRkey;
    long writeRemaining;
    long writeTotal;
    boolean ackPending;
    int ackPsn;
    /** The first PSN the pending acknowledgement covers. */
    int ackCoalescedFrom;
    /** The last atomic results, for replaying a duplicate atomic request (IBA 9.7.5.1.4). */
    final int[] atomicPsns = new int[8];
    final long[] atomicResults = new long[8];
    int atomicNext;
    int atomicFilled;

    QpContext(int qpn, DeviceState device, Command.QpSetup setup, CqContext sendCq, CqContext recvCq) {
        this.qpn = qpn;
        this.wireQpn = qpn;
        this.device = device;
        this.type = setup.type();
        this.pd = setup.pd();
        this.sendCq = sendCq;
        this.recvCq = recvCq;
        this.maxSge = setup.maxSge();
        this.maxInline = setup.maxInlineData();
        this.signalAll = setup.signalAll();
        this.sq = new SendWqe[setup.maxSendWr()];
        for (int i = 0; i < sq.length; i++) {
            sq[i] = new SendWqe(maxSge, maxInline);
        }
        this.rq = new RecvWqe[setup.maxRecvWr()];
        for (int i = 0; i < rq.length; i++) {
            rq[i] = new RecvWqe(maxSge);
        }
    }

    SendWqe sendSlot(long index) {
        return sq[(int) (index % sq.length)];
    }

    RecvWqe recvSlot(long index) {
        return rq[(int) (index % rq.length)];
    }

    /** Whether no receive WQE is posted and unconsumed; reads the doorbell record (responder, UD). */
    boolean receiveQueueEmpty() {
        return rqConsumed >= rqProduced;
    }

    /** PSNs sent and not yet acknowledged (requester). */
    int unacked() {
        return Bth.psnDiff(highestPsn, unackedPsn);
    }

    /**
     * How far the send cursor is into the window that starts at the oldest unacknowledged PSN
     * (requester). Equal to {@link #unacked()} while sending new packets; smaller while going back
     * N, so that a resend is never held back by the packets it replaces.
     */
    int windowUsed() {
        return Bth.psnDiff(nextPsn, unackedPsn);
    }

    /** The responder finished a message: the MSN (24 bits, like a PSN) moves on. */
    void advanceMsn() {
        msn = Bth.psnAdd(msn, 1);
    }

    /** Remembers an atomic's original value for replay. */
    void rememberAtomic(int psn, long original) {
        int slot = atomicNext;
        atomicNext = (atomicNext + 1) & (atomicPsns.length - 1);
        atomicFilled = Math.min(atomicFilled + 1, atomicPsns.length);
        atomicPsns[slot] = psn;
        atomicResults[slot] = original;
    }

    /** The slot of the remembered atomic with this PSN, or -1. */
    int findAtomic(int psn) {
        for (int i = 1; i <= atomicFilled; i++) {
            int slot = (atomicNext - i) & (atomicPsns.length - 1);
            if (atomicPsns[slot] == psn) {
                return slot;
            }
        }
        return -1;
    }
}
