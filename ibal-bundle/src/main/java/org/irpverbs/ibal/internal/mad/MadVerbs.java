package org.irpverbs.ibal.internal.mad;

import java.nio.ByteBuffer;
import org.irpverbs.verbs.AddressHandle;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.MemoryRegion;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.SpecialQpType;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsHandle;
import org.irpverbs.verbs.VerbsRequest;
import org.osgi.util.promise.Promise;

/**
 * The control-path verbs a {@link PortMadService} uses, sent the way IBAL's mode wants: at once
 * from wherever the service is ({@link #direct}, IBAL's queued mode), or through an {@link Issuer}
 * (IBAL's legacy mode: from one of its worker threads at PASSIVE, where an HCA in legacy command
 * mode may block the sender).
 *
 * <p>Thread-safe; never blocks (an issuer hands the verb to a thread that may).
 */
public final class MadVerbs {
    /** Sends one verb somewhere else than the calling thread. */
    public interface Issuer {
        <R> Promise<R> call(Verbs verbs, VerbsRequest<R> request);
    }

    private final Verbs verbs;
    private final Issuer issuer;

    private MadVerbs(Verbs verbs, Issuer issuer) {
        this.verbs = verbs;
        this.issuer = issuer;
    }

    /** Verbs sent from the calling thread. */
    public static MadVerbs direct(Verbs verbs) {
        return new MadVerbs(verbs, null);
    }

    /** Verbs sent by {@code issuer}. */
    public static MadVerbs via(Verbs verbs, Issuer issuer) {
        return new MadVerbs(verbs, issuer);
    }

    <R> Promise<R> call(VerbsRequest<R> request) {
        return issuer == null ? verbs.call(request) : issuer.call(verbs, request);
    }

    Promise<PortAttributes> queryPort(int port) {
        return call(new VerbsRequest.QueryPort(port));
    }

    Promise<ProtectionDomain> allocPd() {
        return call(new VerbsRequest.AllocPd());
    }

    Promise<MemoryRegion> regMr(ProtectionDomain pd, ByteBuffer memory, long address, int access) {
        return call(new VerbsRequest.RegMr(pd, memory, address, access));
    }

    Promise<CompletionQueue> createCq(int entries) {
        return call(new VerbsRequest.CreateCq(entries));
    }

    Promise<Void> notifyCq(CompletionQueue cq, boolean solicitedOnly) {
        return call(new VerbsRequest.NotifyCq(cq, solicitedOnly));
    }

    Promise<QueuePair> createSpecialQp(SpecialQpType kind, int port, ProtectionDomain pd, CompletionQueue sendCq,
            CompletionQueue recvCq, int maxSendWr, int maxRecvWr, int maxSge, boolean signalAll) {
        return call(new VerbsRequest.CreateSpecialQp(kind, port, pd, sendCq, recvCq, maxSendWr, maxRecvWr, maxSge,
                signalAll));
    }

    Promise<byte[]> localMad(int port, byte[] mad) {
        return call(new VerbsRequest.LocalMad(port, mad));
    }

    Promise<Void> modifyQp(QueuePair qp, QpAttributes attributes) {
        return call(new VerbsRequest.ModifyQp(qp, attributes));
    }

    Promise<AddressHandle> createAh(ProtectionDomain pd, int port, int destLid, int serviceLevel) {
        return call(new VerbsRequest.CreateAh(pd, port, destLid, serviceLevel));
    }

    Promise<Void> destroy(VerbsHandle object) {
        return call(new VerbsRequest.Destroy(object));
    }
}
