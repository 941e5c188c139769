package org.irpverbs.benchmarks.hca;

import java.nio.ByteBuffer;
import org.irpverbs.hca.core.testing.RcEnd;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.MemoryRegion;
import org.irpverbs.verbs.Mtu;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendFlags;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsSpeedPath;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WorkCompletion;
import org.irpverbs.verbs.WrOpcode;

/**
 * One end of an RC connection for the speed-path benchmarks, set up through the control-path verbs
 * (promises awaited on the setup thread) as ib-shell's perftest Endpoint does: a PD, one registered
 * buffer (heap or direct, as the caller allocates it), a send CQ and a receive CQ, an RC QP, then
 * {@link #connect} RESET → INIT → RTR → RTS. Posting and polling go through {@link VerbsSpeedPath}
 * only, reusing one work request and one completion array, so the measured loop allocates nothing
 * of its own.
 *
 * <p>Not thread-safe: one benchmark thread drives it.
 */
final class RcEndpoint {
    final String hca;
    final int port;
    final Verbs verbs;
    final VerbsSpeedPath speedPath;
    final PortAttributes portAttributes;
    final ByteBuffer buffer;
    final long address;
    final ProtectionDomain pd;
    final MemoryRegion mr;
    final CompletionQueue sendCq;
    final CompletionQueue recvCq;
    final QueuePair qp;
    final WorkCompletion[] completions = new WorkCompletion[64];
    private final SendWorkRequest send = new SendWorkRequest();
    private final ReceiveWorkRequest receive = new ReceiveWorkRequest();

    RcEndpoint(HcaRig rig, String hca, int port, ByteBuffer buffer, long address, int sendDepth, int recvDepth) {
        this.hca = hca;
        this.port = port;
        this.verbs = rig.verbs(hca);
        this.speedPath = rig.speedPath(hca);
        this.portAttributes = HcaRig.await(verbs.queryPort(port), "QUERY_PORT");
        this.buffer = buffer;
        this.address = address;
        this.pd = HcaRig.await(verbs.allocPd(), "ALLOC_PD");
        this.mr = HcaRig.await(verbs.regMr(pd, buffer, address,
                AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_WRITE | AccessFlags.REMOTE_READ), "REG_MR");
        this.sendCq = HcaRig.await(verbs.createCq(Math.max(64, 2 * sendDepth)), "CREATE_CQ");
        this.recvCq = HcaRig.await(verbs.createCq(Math.max(64, 2 * recvDepth)), "CREATE_CQ");
        this.qp = HcaRig.await(verbs.createQp(pd, QpType.RC, sendCq, recvCq, sendDepth, Math.max(1, recvDepth), 1, 0,
                false), "CREATE_QP"); // selective signaling: each post says whether it wants a completion
        for (int i = 0; i < completions.length; i++) {
            completions[i] = new WorkCompletion();
        }
    }

    /** RESET → INIT → RTR → RTS towards {@code remote}'s QP with path MTU {@code mtu} (the attributes of hca-core's test {@link RcEnd}). */
    void connect(RcEndpoint remote, Mtu mtu) {
        HcaRig.await(verbs.modifyQp(qp, RcEnd.init(port)), "RESET->INIT");
        HcaRig.await(verbs.modifyQp(qp, RcEnd.rtr(remote.portAttributes.lid(), remote.qp.number(), mtu)), "INIT->RTR");
        HcaRig.await(verbs.modifyQp(qp, RcEnd.rts()), "RTR->RTS");
    }

    /** Posts a signaled SEND of {@code length} bytes at {@code offset}; false if the send queue is full. */
    boolean postSend(long wrId, int offset, int length) {
        send.clear();
        send.wrId = wrId;
        send.opcode = WrOpcode.SEND;
        send.flags = SendFlags.SIGNALED;
        send.sgl.add(address + offset, length, mr.lkey());
        return posted(speedPath.postSend(qp, send), "post SEND");
    }

    /**
     * Posts an RDMA WRITE between the same offsets of both buffers, {@code signaled} or not (an
     * unsignaled WRITE that succeeds writes no completion; its send-queue slot is known free when
     * a later signaled one completes); false if the send queue is full.
     */
    boolean postWrite(long wrId, int offset, int length, RcEndpoint remote, boolean signaled) {
        send.clear();
        send.wrId = wrId;
        send.opcode = WrOpcode.RDMA_WRITE;
        send.flags = signaled ? SendFlags.SIGNALED : 0;
        send.sgl.add(address + offset, length, mr.lkey());
        send.remoteAddress = remote.address + offset;
        send.rkey = remote.mr.rkey();
        return posted(speedPath.postSend(qp, send), "post RDMA WRITE");
    }

    /** Posts a receive into {@code length} bytes at {@code offset}; false if the receive queue is full. */
    boolean postReceive(long wrId, int offset, int length) {
        receive.clear();
        receive.wrId = wrId;
        receive.sgl.add(address + offset, length, mr.lkey());
        return posted(speedPath.postReceive(qp, receive), "post receive");
    }

    private boolean posted(int status, String what) {
        if (status == NtStatus.SUCCESS) {
            return true;
        }
        if (status == NtStatus.INSUFFICIENT_RESOURCES) {
            return false; // the queue is full: poll and try again
        }
        throw new IllegalStateException(what + " on " + hca + " failed: " + NtStatus.name(status));
    }

    /** Polls up to {@code max} completions of {@code cq} into {@link #completions}; every one must be a success. */
    int poll(CompletionQueue cq, int max) {
        int n = speedPath.pollCq(cq, completions, Math.min(max, completions.length));
        if (n < 0) {
            throw new IllegalStateException("poll CQ " + cq.number() + " on " + hca + " failed");
        }
        for (int i = 0; i < n; i++) {
            if (completions[i].status != WcStatus.SUCCESS) {
                throw new IllegalStateException(hca + ": " + completions[i]);
            }
        }
        return n;
    }

    void destroy() {
        HcaRig.await(verbs.destroy(qp), "DESTROY_QP");
        HcaRig.await(verbs.destroy(recvCq), "DESTROY_CQ");
        HcaRig.await(verbs.destroy(sendCq), "DESTROY_CQ");
        HcaRig.await(verbs.destroy(mr), "DEREG_MR");
        HcaRig.await(verbs.destroy(pd), "DEALLOC_PD");
    }
}
