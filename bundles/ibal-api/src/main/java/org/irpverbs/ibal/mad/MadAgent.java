package org.irpverbs.ibal.mad;

import org.osgi.annotation.versioning.ProviderType;
import org.osgi.util.promise.Promise;

/**
 * A registered agent on one port's MAD service.
 *
 * <p>Thread-safe; no method blocks, so any may be called at DISPATCH.
 */
@ProviderType
public interface MadAgent {
    /** The high 32 bits of every TID this agent's requests carry; unique on the port while registered. */
    int id();

    MadAgentSpec spec();

    /** The port's MAD service. */
    MadService service();

    /** A fresh TID of this agent: its id in the high 32 bits, a counter in the low 32. */
    long newTransactionId();

    /**
     * Sends a MAD from the port's QP0 (SMP classes) or QP1 (every other class). A request that
     * expects a response gets this agent's id in its TID's high 32 bits (the low 32 are the
     * caller's), waits for the response up to the send's timeout per attempt, and is sent again
     * up to its retries; a response with the same TID and class completes it. A reply (response
     * bit set) or other one-way MAD keeps its TID. Bad input (a TID already outstanding, an SMP to
     * a QP other than 0) settles the transaction at once with INVALID_PARAMETER and the reason; an
     * unregistered agent's or a stopped service's sends with CANCELLED or DEVICE_NOT_READY.
     */
    MadTransaction send(MadSend send);

    /**
     * Unregisters the agent: its methods are free for another agent at once; every transaction in
     * flight settles CANCELLED; the promise resolves when that is done and no {@link MadHandler}
     * call of this agent runs any more (the fence: none starts later). Idempotent.
     */
    Promise<Void> unregister();
}
