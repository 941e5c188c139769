package org.irpverbs.ib.shell;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.CaAttributes;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.MemoryRegion;
import org.irpverbs.verbs.Mtu;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.PortState;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsHandle;
import org.irpverbs.verbs.VerbsSpeedPath;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WorkCompletion;
import org.osgi.util.promise.Promise;

/**
 * One side of a perftest: an HCA port with a PD, a registered buffer, a send and a receive CQ and
 * an RC QP, set up through the control-path verbs (promises, waited for on the shell's PASSIVE
 * thread) and driven through the speed path. {@link #close()} destroys what was made, in reverse.
 *
 * <p>Not thread-safe: used by the one shell thread that runs the test.
 */
final class Endpoint implements AutoCloseable {
    /** Where the buffer sits in the endpoint's virtual address space (any value; the HCA translates it). */
    private static final long BASE_ADDRESS = 0x0000_7f00_0000_0000L;

    final HcaDevice hca;
    final Verbs verbs;
    final VerbsSpeedPath speedPath;
    final int port;
    final PortAttributes portAttributes;
    final CaAttributes caAttributes;
    final ByteBuffer buffer;
    final long address;
    final int psn = ThreadLocalRandom.current().nextInt(1 << 24);
    private final List<VerbsHandle> made = new ArrayList<>();
    ProtectionDomain pd;
    MemoryRegion mr;
    CompletionQueue sendCq;
    CompletionQueue recvCq;
    QueuePair qp;
    private final WorkCompletion[] completions = new WorkCompletion[64];
    private final SendWorkRequest send = new SendWorkRequest();
    private final ReceiveWorkRequest receive = new ReceiveWorkRequest();

    private Endpoint(IoManager io, HcaDevice hca, String portLabel, int port, int bufferBytes) {
        this.hca = hca;
        this.port = port;
        this.verbs = new Verbs(io, hca.device());
        this.caAttributes = Await.value(verbs.queryCa(), "QUERY_CA on " + hca.name());
        if (port > caAttributes.physicalPorts()) {
            throw new IllegalArgumentException(portLabel + " must be 1.." + caAttributes.physicalPorts() + " on " + hca.name()
                    + ", was " + port);
        }
        this.portAttributes = Await.value(verbs.queryPort(port), "QUERY_PORT " + port + " on " + hca.name());
        if (portAttributes.state() != PortState.ACTIVE || portAttributes.lid() == 0) {
            throw new IllegalArgumentException(hca.name() + " port " + port + " is " + portAttributes.state()
                    + (portAttributes.lid() == 0 ? " without a LID" : "") + "; a perftest needs an ACTIVE port with a LID");
        }
        this.speedPath = Await.value(verbs.speedPath(), "QUERY_INTERFACE(VerbsSpeedPath) on " + hca.name());
        this.buffer = ByteBuffer.allocate(bufferBytes);
        this.address = BASE_ADDRESS + ((long) ThreadLocalRandom.current().nextInt(1 << 16) << 24);
        for (int i = 0; i < completions.length; i++) {
            completions[i] = new WorkCompletion();
        }
    }

    /**
     * Opens an endpoint: PD, buffer registered with {@code access}, CQs of {@code sendDepth} and
     * {@code recvDepth} entries, an RC QP in RESET. If a step fails, what was made is released.
     *
     * @param portLabel how the user named {@code port}, for messages: {@code port} or {@code remote port}
     */
    static Endpoint open(IoManager io, HcaDevice hca, String portLabel, int port, int bufferBytes, int sendDepth,
            int recvDepth, int access) {
        Endpoint e = new Endpoint(io, hca, portLabel, port, bufferBytes);
        try {
            int depth = Math.max(sendDepth, recvDepth);
            if (depth > e.caAttributes.maxQpWr()) {
                throw new IllegalArgumentException("-t must be 1.." + e.caAttributes.maxQpWr() + " on " + hca.name()
                        + " (its largest work queue), was " + depth);
            }
            e.pd = e.make(e.verbs.allocPd(), "ALLOC_PD on " + hca.name());
            e.mr = e.make(e.verbs.regMr(e.pd, e.buffer, e.address, access), "REG_MR on " + hca.name());
            e.sendCq = e.make(e.verbs.createCq(Math.max(1, sendDepth)), "CREATE_CQ on " + hca.name());
            e.recvCq = e.make(e.verbs.createCq(Math.max(1, recvDepth)), "CREATE_CQ on " + hca.name());
            e.qp = e.make(e.verbs.createQp(e.pd, QpType.RC, e.sendCq, e.recvCq, Math.max(1, sendDepth),
                    Math.max(1, recvDepth), 1, 0, true), "CREATE_QP on " + hca.name());
            return e;
        } catch (RuntimeException failure) {
            try {
                e.close();
            } catch (RuntimeException releaseFailure) {
                failure.addSuppressed(releaseFailure);
            }
            throw failure;
        }
    }

    /**
     * Test seam: runs on the command's thread once a verb that makes or modifies an object was
     * sent, before its promise is waited for, with the verb's description (a test interrupts the
     * thread there).
     */
    static volatile Consumer<String> afterMakingVerbSent = what -> {};

    /**
     * MODIFY_QP, waited for. If the wait is interrupted the modify still goes on in the HCA, and
     * while it does the driver refuses to destroy the QP ("another operation is in progress"), so
     * the QP, its CQs and the PD would stay behind: the modify is waited for (uninterruptibly; its
     * outcome no longer matters) before the interrupt is passed on and {@link #close()} runs.
     */
    private void modify(QpAttributes attributes, String what) {
        Promise<Void> modifying = verbs.modifyQp(qp, attributes);
        afterMakingVerbSent.accept(what);
        try {
            Await.value(modifying, what);
        } catch (Interrupted interrupted) {
            try {
                Await.releasing(modifying, what);
            } catch (RuntimeException failed) {
                interrupted.addSuppressed(failed);
            }
            throw interrupted;
        }
    }

    /**
     * The object a verb makes, kept for {@link #close()}. If the wait is interrupted the verb still
     * goes on in the HCA, so its object is waited for (uninterruptibly) and kept too before the
     * interrupt is passed on: otherwise it would be made after the command gave up and never
     * released.
     */
    private <T extends VerbsHandle> T make(Promise<T> promise, String what) {
        afterMakingVerbSent.accept(what);
        T handle;
        try {
            handle = Await.value(promise, what);
        } catch (Interrupted interrupted) {
            try {
                made.add(Await.releasing(promise, what));
            } catch (RuntimeException failed) {
                interrupted.addSuppressed(failed); // it made nothing: nothing to release
            }
            throw interrupted;
        }
        made.add(handle);
        return handle;
    }

    /** RESET → INIT → RTR → RTS towards {@code remote}'s QP, with the path MTU both ports take. */
    void connect(Endpoint remote, int readDepth) {
        Mtu mtu = portAttributes.activeMtu().bytes() <= remote.portAttributes.activeMtu().bytes()
                ? portAttributes.activeMtu() : remote.portAttributes.activeMtu();
        QpAttributes init = new QpAttributes().toState(QpState.INIT).set(QpAttributes.PKEY_INDEX)
                .set(QpAttributes.PORT).set(QpAttributes.ACCESS_FLAGS);
        init.port = port;
        init.accessFlags = AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_WRITE | AccessFlags.REMOTE_READ;
        modify(init, "MODIFY_QP RESET->INIT on " + hca.name());
        QpAttributes rtr = new QpAttributes().toState(QpState.RTR).set(QpAttributes.AV).set(QpAttributes.PATH_MTU)
                .set(QpAttributes.DEST_QPN).set(QpAttributes.RQ_PSN).set(QpAttributes.MAX_DEST_RD_ATOMIC)
                .set(QpAttributes.MIN_RNR_TIMER);
        rtr.destLid = remote.portAttributes.lid();
        rtr.pathMtu = mtu;
        rtr.destQpn = remote.qp.number();
        rtr.rqPsn = remote.psn;
        rtr.maxDestReadAtomic = readDepth;
        rtr.minRnrTimer = 1;
        modify(rtr, "MODIFY_QP INIT->RTR on " + hca.name());
        QpAttributes rts = new QpAttributes().toState(QpState.RTS).set(QpAttributes.SQ_PSN).set(QpAttributes.TIMEOUT)
                .set(QpAttributes.RETRY_CNT).set(QpAttributes.RNR_RETRY).set(QpAttributes.MAX_QP_RD_ATOMIC);
        rts.sqPsn = psn;
        // 4.096 µs × 2^18 ≈ 1 s (perftest's default 14 is 67 ms): the soft HCA's engine is a thread
        // that a loaded two-core machine may not schedule for tens of milliseconds, and the engine
        // scales the timer down (EngineTuning.timerScale), so a real-hardware timeout would retry out
        rts.timeout = 18;
        rts.retryCount = 7;
        rts.rnrRetry = 7;
        rts.maxReadAtomic = readDepth;
        modify(rts, "MODIFY_QP RTR->RTS on " + hca.name());
    }

    /**
     * Posts an RDMA WRITE or READ of {@code length} bytes at {@code offset} of both buffers.
     *
     * @return false if the send queue is full (poll and try again)
     */
    boolean postRdma(org.irpverbs.verbs.WrOpcode opcode, long wrId, int offset, int length, Endpoint remote) {
        send.clear();
        send.wrId = wrId;
        send.opcode = opcode;
        send.flags = org.irpverbs.verbs.SendFlags.SIGNALED;
        send.sgl.add(address + offset, length, mr.lkey());
        send.remoteAddress = remote.address + offset;
        send.rkey = remote.mr.rkey();
        return posted(speedPath.postSend(qp, send), "post " + opcode);
    }

    /**
     * Posts a SEND of {@code length} bytes from {@code offset}.
     *
     * @return false if the send queue is full (poll and try again)
     */
    boolean postSend(long wrId, int offset, int length) {
        send.clear();
        send.wrId = wrId;
        send.opcode = org.irpverbs.verbs.WrOpcode.SEND;
        send.flags = org.irpverbs.verbs.SendFlags.SIGNALED;
        send.sgl.add(address + offset, length, mr.lkey());
        return posted(speedPath.postSend(qp, send), "post SEND");
    }

    /**
     * Posts a receive into {@code length} bytes at {@code offset}.
     *
     * @return false if the receive queue is full (poll and try again)
     */
    boolean postReceive(long wrId, int offset, int length) {
        receive.clear();
        receive.wrId = wrId;
        receive.sgl.add(address + offset, length, mr.lkey());
        return posted(speedPath.postReceive(qp, receive), "post receive");
    }

    /**
     * True if posted; false if the queue is full (INSUFFICIENT_RESOURCES: the HCA may free a WQE's
     * slot a little after its completion became visible, so a full queue is waited out, not an
     * error); anything else fails the test.
     */
    private boolean posted(int status, String what) {
        if (status == NtStatus.SUCCESS) {
            return true;
        }
        if (status == NtStatus.INSUFFICIENT_RESOURCES) {
            return false;
        }
        throw new IllegalStateException(what + " on " + hca.name() + " failed: " + NtStatus.name(status));
    }

    /**
     * Polls {@code cq} once; every completion must be a success. Returns the completions in
     * {@link #completion(int)}.
     */
    int poll(CompletionQueue cq) {
        int n = speedPath.pollCq(cq, completions, completions.length);
        if (n < 0) {
            throw new IllegalStateException("poll CQ " + cq.number() + " on " + hca.name() + " failed");
        }
        for (int i = 0; i < n; i++) {
            WorkCompletion wc = completions[i];
            if (wc.status != WcStatus.SUCCESS) {
                throw new IllegalStateException("work request " + wc.wrId + " on " + hca.name() + " completed with "
                        + wc.status + " (" + wc.opcode + ", vendor error 0x" + Integer.toHexString(wc.vendorError) + ")");
            }
        }
        return n;
    }

    WorkCompletion completion(int i) {
        return completions[i];
    }

    /** {@code local address: LID 0x01 QPN 0x0010 PSN 0x1a2b3c RKey 0x00000101 VAddr 0x7f0000000000}. */
    String describe() {
        return String.format("LID %#06x QPN %#06x PSN %#08x RKey %#010x VAddr %#018x", portAttributes.lid(), qp.number(),
                psn, mr.rkey(), address);
    }

    /** True while the HCA's driver runs it; once it stopped, the speed path and the verbs fail. */
    boolean hcaStarted() {
        return hca.state() == HcaDevice.State.STARTED;
    }

    /**
     * Destroys the QP, CQs, MR and PD (what was made), even if the thread is interrupted, and
     * reports the first failure after trying all. An HCA whose driver went away took them with its
     * device (REMOVE closes the hardware: CLOSE_HCA, and the driver's tables go with the device), so
     * the destroys that then fail are not failures to release.
     */
    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = made.size() - 1; i >= 0; i--) {
            VerbsHandle handle = made.get(i);
            try {
                Await.releasing(verbs.destroy(handle), "destroying " + handle + " on " + hca.name());
            } catch (RuntimeException e) {
                if (first == null && hcaStarted()) {
                    first = e;
                }
            }
        }
        made.clear();
        if (first != null) {
            throw first;
        }
    }
}
