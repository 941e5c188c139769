package org.irpverbs.ibal;

import org.osgi.annotation.versioning.ProviderType;
import org.osgi.util.promise.Promise;

/**
 * A registered {@link IbalClient}.
 *
 * <p>Thread-safe; never blocks.
 */
@ProviderType
public interface IbalRegistration {
    IbalClient client();

    /** The context the client's add() gave for {@code ca}, or null if add() has not succeeded for it. */
    Object context(IbalCa ca);

    /**
     * The next event of a CA this client was added to, as a request IBAL keeps pending until an
     * event completes it (events that come while none is pending wait, up to a bound, in order).
     * Fails with {@code IoStatusException} CANCELLED once the client unregisters, DELETE_PENDING if
     * IBAL is going away.
     */
    Promise<IbalEvent> nextEvent();

    /**
     * Unregisters: remove() for every CA the client was added to, in reverse CA order, then
     * pending {@link #nextEvent} requests fail with CANCELLED. The promise resolves when all that is
     * done: a full fence (no method of the client runs after it), given as a completion because
     * nothing here may wait. Calling it again returns the same promise.
     */
    Promise<Void> unregister();
}
