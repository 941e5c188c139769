package org.irpverbs.ibal.mad;

import org.osgi.annotation.versioning.ProviderType;
import org.osgi.util.promise.Promise;

/**
 * One send in flight.
 *
 * <p>Its {@link #result()} resolves with the matched response for a request that expects one, or
 * with null once a one-way MAD has left the port (its send completed). It fails with an
 * {@link org.irpverbs.irp.IoStatusException} carrying IO_TIMEOUT when every attempt timed out,
 * CANCELLED after {@link #cancel()} or when the agent unregisters or the port's MAD service
 * stops, and another status (with the reason) when the HCA refused or failed the send. It
 * settles exactly once; its callbacks run as DPCs.
 *
 * <p>Thread-safe.
 */
@ProviderType
public interface MadTransaction {
    /** The TID the MAD went out with (for a request: the agent's high 32 bits and the caller's low 32). */
    long transactionId();

    Promise<ReceivedMad> result();

    /** Cancels the transaction: true if this call settled it with CANCELLED, false if it had settled. */
    boolean cancel();
}
