package org.irpverbs.verbs;

import java.nio.ByteBuffer;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.NtStatus;
import org.osgi.util.promise.Promise;
import org.osgi.util.promise.Promises;

/**
 * The control-path verbs of one HCA as promises: each call sends one verbs IOCTL and resolves with
 * its result, or fails with {@link IoStatusException} carrying the HCA's status and reason. For
 * clients that want the request packet itself (to reuse it, cancel it, or complete an IRP of their
 * own from it), send the {@link VerbsRequest} with {@link IoManager#internalDeviceControl}.
 *
 * <p>Thread-safe; never blocks.
 */
public final class Verbs {
    private final IoManager io;
    private final DeviceObject hca;

    public Verbs(IoManager io, DeviceObject hca) {
        this.io = io;
        this.hca = hca;
    }

    public DeviceObject hca() {
        return hca;
    }

    /** Sends any verbs request. */
    public <R> Promise<R> call(VerbsRequest<R> request) {
        return io.internalDeviceControl(hca, request.ioctl(), request, null, null).flatMap(done -> {
            if (NtStatus.isSuccess(done.status())) {
                return Promises.resolved(request.result());
            }
            String why = request.error() != null ? request.error() : VerbsIoctl.name(request.ioctl()) + " failed";
            return Promises.failed(new IoStatusException(done.status(), why));
        });
    }

    public Promise<CaAttributes> queryCa() {
        return call(new VerbsRequest.QueryCa());
    }

    public Promise<PortAttributes> queryPort(int port) {
        return call(new VerbsRequest.QueryPort(port));
    }

    public Promise<ProtectionDomain> allocPd() {
        return call(new VerbsRequest.AllocPd());
    }

    public Promise<MemoryRegion> regMr(ProtectionDomain pd, ByteBuffer memory, long address, int access) {
        return call(new VerbsRequest.RegMr(pd, memory, address, access));
    }

    public Promise<CompletionQueue> createCq(int entries) {
        return call(new VerbsRequest.CreateCq(entries));
    }

    public Promise<Integer> resizeCq(CompletionQueue cq, int entries) {
        return call(new VerbsRequest.ResizeCq(cq, entries));
    }

    /** Resolves at the CQ's next completion. */
    public Promise<Void> notifyCq(CompletionQueue cq, boolean solicitedOnly) {
        return call(new VerbsRequest.NotifyCq(cq, solicitedOnly));
    }

    public Promise<QueuePair> createQp(ProtectionDomain pd, QpType type, CompletionQueue sendCq, CompletionQueue recvCq,
            int maxSendWr, int maxRecvWr, int maxSge, int maxInlineData, boolean signalAll) {
        return call(new VerbsRequest.CreateQp(pd, type, sendCq, recvCq, maxSendWr, maxRecvWr, maxSge, maxInlineData,
                signalAll));
    }

    /** A port's QP0 or QP1 (since 1.2). */
    public Promise<QueuePair> createSpecialQp(SpecialQpType kind, int port, ProtectionDomain pd, CompletionQueue sendCq,
            CompletionQueue recvCq, int maxSendWr, int maxRecvWr, int maxSge, boolean signalAll) {
        return call(new VerbsRequest.CreateSpecialQp(kind, port, pd, sendCq, recvCq, maxSendWr, maxRecvWr, maxSge,
                signalAll));
    }

    /** A MAD to the port's own management agent (since 1.2); resolves with the response, or null if none. */
    public Promise<byte[]> localMad(int port, byte[] mad) {
        return call(new VerbsRequest.LocalMad(port, mad));
    }

    public Promise<Void> modifyQp(QueuePair qp, QpAttributes attributes) {
        return call(new VerbsRequest.ModifyQp(qp, attributes));
    }

    public Promise<QpAttributes> queryQp(QueuePair qp) {
        return call(new VerbsRequest.QueryQp(qp));
    }

    public Promise<AddressHandle> createAh(ProtectionDomain pd, int port, int destLid, int serviceLevel) {
        return call(new VerbsRequest.CreateAh(pd, port, destLid, serviceLevel));
    }

    public Promise<Void> attachMulticast(QueuePair qp, byte[] gid, int mlid) {
        return call(new VerbsRequest.Multicast(qp, gid, mlid, true));
    }

    public Promise<Void> detachMulticast(QueuePair qp, byte[] gid, int mlid) {
        return call(new VerbsRequest.Multicast(qp, gid, mlid, false));
    }

    /** Destroys a PD, MR, CQ, QP or AH. */
    public Promise<Void> destroy(VerbsHandle object) {
        return call(new VerbsRequest.Destroy(object));
    }

    /** Resolves with the HCA's next asynchronous event. */
    public Promise<AsyncEvent> nextAsyncEvent() {
        return call(new VerbsRequest.GetAsyncEvent());
    }

    /** The speed-path interface (QUERY_INTERFACE). */
    public Promise<VerbsSpeedPath> speedPath() {
        return io.queryInterface(hca, VerbsSpeedPath.class);
    }
}
