package org.irpverbs.ibal;

import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A client of IBAL that is not the driver of a child device (the SA and CM clients, shells,
 * tools): Linux ib_core's {@code ib_client} contract, made asynchronous.
 * <ul>
 * <li>{@link #add} is called for every CA present when the client registers and for every CA that
 * comes later; for one CA the clients get it in registration order, each after the previous
 * client's stage completed;</li>
 * <li>{@link #remove} is called in reverse registration order when the CA leaves, or for every CA
 * when the client unregisters; IBAL goes on when the stage completes;</li>
 * <li>a failed {@code add} (a failed stage, or one that throws) means nothing more for that CA:
 * no remove and no events;</li>
 * <li>after {@link IbalRegistration#unregister()}'s promise resolved, no method of the client is
 * called again.</li>
 * </ul>
 * Calls are made one at a time (never two at once for one client) at DISPATCH on the I/O
 * manager's completion pool: they must not block; work that takes time returns a stage completed
 * later, for example from a verb's promise.
 */
@ConsumerType
public interface IbalClient {
    /** A short name for shells and logs. */
    String name();

    /**
     * A CA is there. Complete the stage with the per-(CA, client) context
     * ({@link IbalRegistration#context}), which may be null; fail it to decline the CA.
     */
    CompletionStage<?> add(IbalCa ca);

    /**
     * The CA is leaving, or the client unregisters. Complete the stage once the client no longer
     * uses the CA (its verbs done, its objects destroyed). The CA's requests may already fail
     * with DELETE_PENDING or DEVICE_REMOVED if the HCA itself is gone.
     */
    CompletionStage<Void> remove(IbalCa ca, Object context);
}
