package org.irpverbs.hca.core.testing;

import static org.junit.Assert.assertEquals;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.MemoryRegion;
import org.irpverbs.verbs.Mtu;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
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
 * One end of an RC connection for tests: PD, a registered buffer (local write, remote read and
 * write), one CQ for sends and receives, an RC QP, all made through the verbs; connected with
 * {@link #connect}. The static attribute builders ({@link #init}, {@link #rtr}, {@link #rts}) use no
 * JUnit: the benchmarks' RcEndpoint connects with them. Not thread-safe.
 */
public final class RcEnd {
    public final String hca;
    public final Verbs verbs;
    public final VerbsSpeedPath speedPath;
    public final PortAttributes port;
    public final ByteBuffer buffer;
    public final long address;
    public final ProtectionDomain pd;
    public final MemoryRegion mr;
    public final CompletionQueue cq;
    public final QueuePair qp;

    private RcEnd(HcaTestRig rig, String hca, int portNumber, int bytes, long address) {
        this.hca = hca;
        this.verbs = rig.verbs(hca);
        this.speedPath = rig.speedPath(hca);
        this.port = HcaTestRig.await(verbs.queryPort(portNumber), "QUERY_PORT");
        this.buffer = ByteBuffer.allocate(bytes);
        this.address = address;
        this.pd = HcaTestRig.await(verbs.allocPd(), "ALLOC_PD");
        this.mr = HcaTestRig.await(verbs.regMr(pd, buffer, address,
                AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_WRITE | AccessFlags.REMOTE_READ), "REG_MR");
        this.cq = HcaTestRig.await(verbs.createCq(64), "CREATE_CQ");
        this.qp = HcaTestRig.await(verbs.createQp(pd, QpType.RC, cq, cq, 32, 32, 4, 0, true), "CREATE_QP");
    }

    public static RcEnd open(HcaTestRig rig, String hca, int port, int bytes) {
        return new RcEnd(rig, hca, port, bytes, 0x10000000L + ((long) hca.hashCode() & 0xFFFF) * 0x100000L);
    }

    /** The attributes of RESET → INIT on port {@code port}. */
    public static QpAttributes init(int port) {
        QpAttributes a = new QpAttributes().toState(QpState.INIT).set(QpAttributes.PKEY_INDEX).set(QpAttributes.PORT)
                .set(QpAttributes.ACCESS_FLAGS);
        a.port = port;
        a.accessFlags = AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_WRITE | AccessFlags.REMOTE_READ;
        return a;
    }

    /** The attributes of INIT → RTR towards {@code remote}, path MTU 2048. */
    public static QpAttributes rtr(int destLid, int destQpn) {
        return rtr(destLid, destQpn, Mtu.MTU_2048);
    }

    /** The attributes of INIT → RTR towards {@code remote} with path MTU {@code pathMtu}. */
    public static QpAttributes rtr(int destLid, int destQpn, Mtu pathMtu) {
        QpAttributes a = new QpAttributes().toState(QpState.RTR).set(QpAttributes.AV).set(QpAttributes.PATH_MTU)
                .set(QpAttributes.DEST_QPN).set(QpAttributes.RQ_PSN).set(QpAttributes.MAX_DEST_RD_ATOMIC)
                .set(QpAttributes.MIN_RNR_TIMER);
        a.destLid = destLid;
        a.pathMtu = pathMtu;
        a.destQpn = destQpn;
        a.rqPsn = 100;
        a.maxDestReadAtomic = 4;
        a.minRnrTimer = 1;
        return a;
    }

    /** The attributes of RTR → RTS. */
    public static QpAttributes rts() {
        QpAttributes a = new QpAttributes().toState(QpState.RTS).set(QpAttributes.SQ_PSN).set(QpAttributes.TIMEOUT)
                .set(QpAttributes.RETRY_CNT).set(QpAttributes.RNR_RETRY).set(QpAttributes.MAX_QP_RD_ATOMIC);
        a.sqPsn = 100;
        a.timeout = 18; // ≈1 s: tolerant of a loaded machine; see ib-shell's Endpoint
        a.retryCount = 7;
        a.rnrRetry = 7;
        a.maxReadAtomic = 4;
        return a;
    }

    /** Moves this QP to RTS towards {@code remote}'s QP. */
    public void connect(RcEnd remote) {
        HcaTestRig.await(verbs.modifyQp(qp, init(port.port())), "RESET->INIT");
        HcaTestRig.await(verbs.modifyQp(qp, rtr(remote.port.lid(), remote.qp.number())), "INIT->RTR");
        HcaTestRig.await(verbs.modifyQp(qp, rts()), "RTR->RTS");
        assertEquals(QpState.RTS, qp.state());
    }

    /** Posts an RDMA WRITE or READ of {@code length} bytes between the same offsets of both buffers. */
    public int postRdma(WrOpcode opcode, long wrId, int offset, int length, RcEnd remote) {
        SendWorkRequest wr = new SendWorkRequest();
        wr.wrId = wrId;
        wr.opcode = opcode;
        wr.flags = SendFlags.SIGNALED;
        wr.sgl.add(address + offset, length, mr.lkey());
        wr.remoteAddress = remote.address + offset;
        wr.rkey = remote.mr.rkey();
        return speedPath.postSend(qp, wr);
    }

    public int postSend(long wrId, int offset, int length) {
        SendWorkRequest wr = new SendWorkRequest();
        wr.wrId = wrId;
        wr.opcode = WrOpcode.SEND;
        wr.flags = SendFlags.SIGNALED;
        wr.sgl.add(address + offset, length, mr.lkey());
        return speedPath.postSend(qp, wr);
    }

    public int postReceive(long wrId, int offset, int length) {
        ReceiveWorkRequest wr = new ReceiveWorkRequest();
        wr.wrId = wrId;
        wr.sgl.add(address + offset, length, mr.lkey());
        return speedPath.postReceive(qp, wr);
    }

    /** Polls the CQ until one completion arrives (the test thread is PASSIVE and may spin). */
    public WorkCompletion pollOne() {
        WorkCompletion[] out = {new WorkCompletion()};
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HcaTestRig.TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            int n = speedPath.pollCq(cq, out, 1);
            if (n == 1) {
                return out[0];
            }
            assertEquals("pollCq", 0, n);
            Thread.onSpinWait();
        }
        throw new AssertionError("no completion on " + hca + " CQ " + cq.number() + " within "
                + HcaTestRig.TIMEOUT_SECONDS + " s");
    }

    /** Polls one completion and checks it succeeded. */
    public WorkCompletion pollSuccess() {
        WorkCompletion wc = pollOne();
        assertEquals(wc.toString(), WcStatus.SUCCESS, wc.status);
        return wc;
    }

    /** Destroys QP, CQ, MR and PD. */
    public void destroy() {
        HcaTestRig.await(verbs.destroy(qp), "DESTROY_QP");
        HcaTestRig.await(verbs.destroy(cq), "DESTROY_CQ");
        HcaTestRig.await(verbs.destroy(mr), "DEREG_MR");
        HcaTestRig.await(verbs.destroy(pd), "DEALLOC_PD");
    }

    static void check(int status, String what) {
        assertEquals(what, NtStatus.name(NtStatus.SUCCESS), NtStatus.name(status));
    }
}
