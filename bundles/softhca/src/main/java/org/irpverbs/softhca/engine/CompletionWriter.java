package org.irpverbs.softhca.engine;

import org.irpverbs.softhca.engine.SoftHca.Counter;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.AsyncEventType;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.WcOpcode;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WrOpcode;

/**
 * Writes the completions the transport produces and takes QPs to their error states: send
 * completions in posting order (unsignaled successful WQEs write none; an error completion is
 * always written and takes the QP to ERR, SQE for UD, flushing the rest), receive completions as
 * the responder or UD consumes receive WQEs, and the CQ event when an armed CQ gets the completion
 * it was armed for. A WQE's slot is freed before its completion is visible, so a consumer that
 * polled the completion may post into the slot at once.
 *
 * <p>Not thread-safe: the engine's pass only (EngineThread serialises the passes); the CQ is
 * written without a lock ({@link CqContext#push}). Allocation: none on success; an overrun raises
 * an async event.
 */
final class CompletionWriter {
    private final SoftHca hca;

    CompletionWriter(SoftHca hca) {
        this.hca = hca;
    }

    private static WcOpcode sendOpcode(WrOpcode op) {
        return switch (op) {
            case SEND, SEND_WITH_IMM -> WcOpcode.SEND;
            case RDMA_WRITE, RDMA_WRITE_WITH_IMM -> WcOpcode.RDMA_WRITE;
            case RDMA_READ -> WcOpcode.RDMA_READ;
            case ATOMIC_CMP_AND_SWP -> WcOpcode.COMP_SWAP;
            case ATOMIC_FETCH_AND_ADD -> WcOpcode.FETCH_ADD;
        };
    }

    /**
     * Send WQE {@code index} (the oldest unconsumed) is finished: frees its slot, then writes its
     * completion. In that order, because a consumer that polled a completion may post into the
     * slots it freed at once (an application that waits for a completion event has no other
     * moment to post); the WQE's fields are read before the slot can be reused.
     */
    void releaseAndComplete(QpContext qp, long index, WcStatus status) {
        SendWqe w = qp.sendSlot(index);
        long wrId = w.wrId;
        WcOpcode opcode = sendOpcode(w.opcode);
        int length = w.totalLength;
        qp.sqConsumed = index + 1;
        pushCqe(qp.sendCq, wrId, status, opcode, length, false, 0, qp.qpn, 0, 0, false, false);
    }

    private void pushCqe(CqContext cq, long wrId, WcStatus status, WcOpcode opcode, int byteLength, boolean hasImm,
            int imm, int qpn, int sourceQp, int sourceLid, boolean grh, boolean solicited) {
        if (!cq.push(wrId, status, opcode, byteLength, hasImm, imm, qpn, sourceQp, sourceLid, grh, 0)) {
            hca.count(Counter.CQ_OVERRUNS);
            hca.raise(new AsyncEvent(AsyncEventType.CQ_ERROR, 0, cq.cqn, "CQ overrun: a completion was lost"));
            return;
        }
        int armed = cq.armed.get(); // after the CQE's volatile publication (CqContext.produced)
        if (armed != CqContext.DISARMED
                && (armed == CqContext.ARMED_NEXT || solicited || status != WcStatus.SUCCESS)
                && cq.armed.compareAndSet(armed, CqContext.DISARMED)) {
            hca.raiseCompletionEvent(cq.cqn);
        }
    }

    /**
     * Writes the completions of the WQEs that are done, in posting order; stops at the first that
     * is not. An error WQE completes with its status and takes the QP to ERR (SQE for UD).
     */
    void completeInOrder(QpContext qp) {
        long cons = qp.sqConsumed;
        long prod = qp.sqProduced;
        while (cons < prod) {
            SendWqe w = qp.sendSlot(cons);
            if (!w.done) {
                break;
            }
            if (w.error != null) {
                releaseAndComplete(qp, cons, w.error);
                if (qp.type == QpType.UD) {
                    enterSendQueueError(qp);
                } else {
                    enterError(qp, null);
                }
                return;
            }
            if (w.signaled) {
                releaseAndComplete(qp, cons, WcStatus.SUCCESS); // frees the unsignaled ones before it too
            }
            cons++;
        }
        if (qp.sqConsumed != cons) {
            // unsignaled WQEs after the last completion written; a signaled one already freed its
            // own (a volatile store costs a locked instruction, so not again for nothing)
            qp.sqConsumed = cons;
        }
        if (qp.sendIndex < cons) {
            qp.sendIndex = cons;
        }
    }

    /** Fails a WQE: it completes in its turn with {@code status} and the QP goes to ERR. */
    void fail(QpContext qp, SendWqe w, WcStatus status) {
        w.started = true;
        w.done = true;
        w.error = status;
        completeInOrder(qp);
    }

    void flushSend(QpContext qp) {
        long cons = qp.sqConsumed;
        long prod = qp.sqProduced;
        for (; cons < prod; cons++) {
            releaseAndComplete(qp, cons, WcStatus.WR_FLUSH_ERR);
        }
        qp.sendIndex = cons;
        qp.outstandingReadAtomic = 0;
    }

    void flushRecv(QpContext qp) {
        long cons = qp.rqConsumed;
        long prod = qp.rqProduced;
        for (; cons < prod; cons++) {
            completeRecv(qp, qp.recvSlot(cons), WcStatus.WR_FLUSH_ERR, WcOpcode.RECV, 0, false, 0, false);
        }
    }

    /** A receive completion on an RC QP (no source QPN, LID or GRH to report). */
    void completeRecv(QpContext qp, RecvWqe w, WcStatus status, WcOpcode opcode, int length, boolean hasImm,
            int imm, boolean solicited) {
        completeRecv(qp, w, status, opcode, length, hasImm, imm, 0, 0, false, solicited);
    }

    void completeRecv(QpContext qp, RecvWqe w, WcStatus status, WcOpcode opcode, int length, boolean hasImm,
            int imm, int sourceQp, int sourceLid, boolean grh, boolean solicited) {
        // the slot is free before the completion is visible: a consumer re-posts a receive as soon
        // as it polled one (releaseAndComplete); the WQE's only field used is read first
        long wrId = w.wrId;
        qp.rqConsumed = qp.rqConsumed + 1;
        pushCqe(qp.recvCq, wrId, status, opcode, length, hasImm, imm, qp.qpn, sourceQp, sourceLid, grh, solicited);
    }

    /** TO_ERR or an error completion: every outstanding WQE is flushed; {@code event} raised if given. */
    void enterError(QpContext qp, AsyncEvent event) {
        qp.state = QpState.ERR;
        RcRequester.stopTimers(qp);
        qp.ackPending = false;
        qp.receiveInProgress = false;
        qp.writeInProgress = false;
        flushSend(qp);
        flushRecv(qp);
        if (event != null) {
            hca.raise(event);
        }
    }

    /** A UD send error: the send queue stops (SQE) and its WQEs are flushed; receives go on. */
    private void enterSendQueueError(QpContext qp) {
        qp.state = QpState.SQE;
        flushSend(qp);
    }
}
