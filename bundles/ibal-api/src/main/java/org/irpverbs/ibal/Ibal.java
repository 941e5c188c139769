package org.irpverbs.ibal;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * IBAL, the InfiniBand access layer, as an OSGi service (registered while IBAL's device runs). It
 * binds to every HCA's versioned verbs interface (QUERY_INTERFACE), keeps one {@link IbalCa} per
 * HCA, enumerates a child device per ACTIVE port for port drivers, and serves the non-driver
 * clients' contract ({@link IbalClient}).
 *
 * <p>Drivers of child devices do not use this service: they send every control-path verb
 * ({@code org.irpverbs.verbs.VerbsIoctl}) as INTERNAL_DEVICE_CONTROL to their own device, which
 * passes it to the child IBAL created; IBAL keeps the client's objects in a tree and forwards the
 * request to the HCA (see {@link IbalObjects}). The speed path is
 * {@code IoManager.queryInterface(device, VerbsSpeedPath.class)} on the same device.
 *
 * <p>Thread-safe; every method returns at once and may be called at DISPATCH.
 */
@ProviderType
public interface Ibal {
    /** The version of this API that IBAL implements, {@code major << 16 | minor}. */
    int API_VERSION = 1 << 16;

    /** Registers a client; its add() calls start once the registration is queued behind earlier ones. */
    IbalRegistration register(IbalClient client);

    /** Every CA IBAL knows, in arrival order, with the refused and binding ones. */
    List<IbalCa> cas();

    /** The registered non-driver clients, in registration order. */
    List<IbalRegistration> clients();

    /** The object trees of every client (child-device clients and registered ones). */
    List<IbalObjects> objects();
}
