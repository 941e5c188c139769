package org.irpverbs.verbs;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The argument of a verbs IOCTL: the inputs (constructor) and, once the request completed with
 * success, the result. When the HCA rejects the input it completes the request with
 * INVALID_PARAMETER (or another specific status) and says why in {@link #error()}.
 *
 * <p>One request object per IOCTL; not thread-safe (ownership passes with the request).
 *
 * @param <R> the result type
 */
public abstract class VerbsRequest<R> {
    private R result;
    private String error;

    /** The IOCTL code this argument belongs to. */
    public abstract int ioctl();

    public R result() {
        return result;
    }

    /** Called by the HCA before it completes the request with success. */
    public void setResult(R result) {
        this.result = result;
    }

    /** Why the HCA rejected the request, or null. */
    public String error() {
        return error;
    }

    /** Called by the HCA before it completes the request with an error status. */
    public void setError(String error) {
        this.error = error;
    }

    private static <T> T required(T value, String what) {
        return Objects.requireNonNull(value, what + " must not be null");
    }

    /** QUERY_CA. */
    public static final class QueryCa extends VerbsRequest<CaAttributes> {
        @Override
        public int ioctl() {
            return VerbsIoctl.QUERY_CA;
        }
    }

    /** QUERY_PORT. */
    public static final class QueryPort extends VerbsRequest<PortAttributes> {
        public final int port;

        public QueryPort(int port) {
            this.port = port;
        }

        @Override
        public int ioctl() {
            return VerbsIoctl.QUERY_PORT;
        }
    }

    /** ALLOC_PD. */
    public static final class AllocPd extends VerbsRequest<ProtectionDomain> {
        @Override
        public int ioctl() {
            return VerbsIoctl.ALLOC_PD;
        }
    }

    /** Destroys one verbs object: DEALLOC_PD, DEREG_MR, DESTROY_CQ, DESTROY_QP, DESTROY_AH. */
    public static final class Destroy extends VerbsRequest<Void> {
        public final VerbsHandle object;

        public Destroy(VerbsHandle object) {
            this.object = required(object, "object");
        }

        @Override
        public int ioctl() {
            if (object instanceof ProtectionDomain) {
                return VerbsIoctl.DEALLOC_PD;
            } else if (object instanceof MemoryRegion) {
                return VerbsIoctl.DEREG_MR;
            } else if (object instanceof CompletionQueue) {
                return VerbsIoctl.DESTROY_CQ;
            } else if (object instanceof QueuePair) {
                return VerbsIoctl.DESTROY_QP;
            }
            return VerbsIoctl.DESTROY_AH;
        }
    }

    /**
     * REG_MR: registers {@code memory} (position to limit) as host memory at virtual address
     * {@code address}. The HCA reads and writes that buffer directly, as it would DMA to pinned
     * pages; the caller must keep it alive until deregistration.
     */
    public static final class RegMr extends VerbsRequest<MemoryRegion> {
        public final ProtectionDomain pd;
        public final ByteBuffer memory;
        public final long address;
        public final int access;

        public RegMr(ProtectionDomain pd, ByteBuffer memory, long address, int access) {
            this.pd = required(pd, "pd");
            this.memory = required(memory, "memory");
            this.address = address;
            this.access = access;
        }

        @Override
        public int ioctl() {
            return VerbsIoctl.REG_MR;
        }
    }

    /** CREATE_CQ with at least {@code entries} entries. */
    public static final class CreateCq extends VerbsRequest<CompletionQueue> {
        public final int entries;

        public CreateCq(int entries) {
            this.entries = entries;
        }

        @Override
        public int ioctl() {
            return VerbsIoctl.CREATE_CQ;
        }
    }

    /** RESIZE_CQ; the result is the new capacity. */
    public static final class ResizeCq extends VerbsRequest<Integer> {
        public final CompletionQueue cq;
        public final int entries;

        public ResizeCq(CompletionQueue cq, int entries) {
            this.cq = required(cq, "cq");
            this.entries = entries;
        }

        @Override
        public int ioctl() {
            return VerbsIoctl.RESIZE_CQ;
        }
    }

    /**
     * REQ_NOTIFY_CQ: stays pending until the CQ receives its next completion (or next solicited
     * one), then completes with success. Cancellable; completed with DEVICE_REMOVED if the HCA
     * goes away and with CANCELLED when the CQ is destroyed.
     */
    public static final class NotifyCq extends VerbsRequest<Void> {
        public final CompletionQueue cq;
        public final boolean solicitedOnly;

        public NotifyCq(CompletionQueue cq, boolean solicitedOnly) {
            this.cq = required(cq, "cq");
            this.solicitedOnly = solicitedOnly;
        }

        @Override
        public int ioctl() {
            return VerbsIoctl.REQ_NOTIFY_CQ;
        }
    }

    /** CREATE_QP. */
    public static final class CreateQp extends VerbsRequest<QueuePair> {
        public final ProtectionDomain pd;
        public final QpType type;
        public final CompletionQueue sendCq;
        public final CompletionQueue recvCq;
        public final int maxSendWr;
        public final int maxRecvWr;
        public final int maxSge;
        public final int maxInlineData;
        /** True: every send completes with a work completion; false: only SIGNALED ones. */
        public final boolean signalAll;

        public CreateQp(ProtectionDomain pd, QpType type, CompletionQueue sendCq, CompletionQueue recvCq, int maxSendWr,
                int maxRecvWr, int maxSge, int maxInlineData, boolean signalAll) {
            this.pd = required(pd, "pd");
            this.type = required(type, "type");
            this.sendCq = required(sendCq, "sendCq");
            this.recvCq = required(recvCq, "recvCq");
            this.maxSendWr = maxSendWr;
            this.maxRecvWr = maxRecvWr;
            this.maxSge = maxSge;
            this.maxInlineData = maxInlineData;
            this.signalAll = signalAll;
        }

        @Override
        public int ioctl() {
            return VerbsIoctl.CREATE_QP;
        }
    }

    /** MODIFY_QP: one state transition with the attributes it requires ({@link QpTransitions}). */
    public static final class ModifyQp extends VerbsRequest<Void> {
        public final QueuePair qp;
        public final QpAttributes attributes;

        public ModifyQp(QueuePair qp, QpAttributes attributes) {
            this.qp = required(qp, "qp");
            this.attributes = new QpAttributes().copyFrom(required(attributes, "attributes"));
        }

        @Override
        public int ioctl() {
            return VerbsIoctl.MODIFY_QP;
        }
    }

    /** QUERY_QP. */
    public static final class QueryQp extends VerbsRequest<QpAttributes> {
        public final QueuePair qp;

        public QueryQp(QueuePair qp) {
            this.qp = required(qp, "qp");
        }

        @Override
        public int ioctl() {
            return VerbsIoctl.QUERY_QP;
        }
    }

    /** CREATE_AH: a UD destination. */
    public static final class CreateAh extends VerbsRequest<AddressHandle> {
        public final ProtectionDomain pd;
        public final int port;
        public final int destLid;
        public final int serviceLevel;

        public CreateAh(ProtectionDomain pd, int port, int destLid, int serviceLevel) {
            this.pd = required(pd, "pd");
            this.port = port;
            this.destLid = destLid;
            this.serviceLevel = serviceLevel;
        }

        @Override
        public int ioctl() {
            return VerbsIoctl.CREATE_AH;
        }
    }

    /** ATTACH_MCAST or DETACH_MCAST: a UD QP joins or leaves a multicast group (GID, MLID). */
    public static final class Multicast extends VerbsRequest<Void> {
        public final QueuePair qp;
        public final byte[] gid;
        public final int mlid;
        public final boolean attach;

        public Multicast(QueuePair qp, byte[] gid, int mlid, boolean attach) {
            this.qp = required(qp, "qp");
            this.gid = required(gid, "gid").clone();
            this.mlid = mlid;
            this.attach = attach;
        }

        @Override
        public int ioctl() {
            return attach ? VerbsIoctl.ATTACH_MCAST : VerbsIoctl.DETACH_MCAST;
        }
    }

    /** GET_ASYNC_EVENT: pending until the HCA's next asynchronous event, which is the result. */
    public static final class GetAsyncEvent extends VerbsRequest<AsyncEvent> {
        @Override
        public int ioctl() {
            return VerbsIoctl.GET_ASYNC_EVENT;
        }
    }

    /**
     * CREATE_SPECIAL_QP (since 1.2): the port's QP0 or QP1, a UD queue pair that the HCA reaches as
     * QPN 0 or 1 of {@code port}: sends carry that source QPN (QP0's on VL15), received packets for
     * that QPN of that port land in it (QP1's only with the GSI Q_Key). One per port and type; a
     * second while the first lives fails with INVALID_DEVICE_STATE; an HCA whose QP table has no
     * room for special QPs answers NOT_SUPPORTED. It is brought up with MODIFY_QP
     * like a UD QP, with {@code port} as its port (another port is refused); it cannot join a
     * multicast group.
     */
    public static final class CreateSpecialQp extends VerbsRequest<QueuePair> {
        public final SpecialQpType kind;
        public final int port;
        public final ProtectionDomain pd;
        public final CompletionQueue sendCq;
        public final CompletionQueue recvCq;
        public final int maxSendWr;
        public final int maxRecvWr;
        public final int maxSge;
        public final boolean signalAll;

        public CreateSpecialQp(SpecialQpType kind, int port, ProtectionDomain pd, CompletionQueue sendCq,
                CompletionQueue recvCq, int maxSendWr, int maxRecvWr, int maxSge, boolean signalAll) {
            this.kind = required(kind, "kind");
            this.port = port;
            this.pd = required(pd, "pd");
            this.sendCq = required(sendCq, "sendCq");
            this.recvCq = required(recvCq, "recvCq");
            this.maxSendWr = maxSendWr;
            this.maxRecvWr = maxRecvWr;
            this.maxSge = maxSge;
            this.signalAll = signalAll;
        }

        @Override
        public int ioctl() {
            return VerbsIoctl.CREATE_SPECIAL_QP;
        }
    }

    /**
     * LOCAL_MAD (since 1.2): hands a 256-byte MAD to the port's own management agents in the HCA
     * (MAD_IFC: the subnet management agent answers the SubnGet queries of a sweep). The result is
     * the response MAD, or null when the agent consumes the MAD without answering (a method, class
     * or attribute it does not serve). A MAD of another length: INVALID_PARAMETER.
     */
    public static final class LocalMad extends VerbsRequest<byte[]> {
        public final int port;
        public final byte[] mad;

        public LocalMad(int port, byte[] mad) {
            this.port = port;
            this.mad = required(mad, "mad").clone();
        }

        @Override
        public int ioctl() {
            return VerbsIoctl.LOCAL_MAD;
        }
    }
}
