package org.irpverbs.ibal.mad;

import org.osgi.annotation.versioning.ProviderType;
import org.osgi.util.promise.Promise;

/**
 * The MAD service of one CA port: IBAL's QP0 and QP1 on that port, the agents registered on it,
 * and the matching of responses to requests.
 *
 * <p>Thread-safe; nothing blocks.
 */
@ProviderType
public interface MadService {
    /** The CA port (1-based). */
    int port();

    /**
     * Registers an agent. Resolves with the agent, or fails with an
     * {@link org.irpverbs.irp.IoStatusException}: INVALID_DEVICE_STATE naming the agent that holds
     * a (class, version, method) this one asks for, or DEVICE_NOT_READY when the service is not
     * running. Registration takes effect before the promise resolves.
     */
    Promise<MadAgent> register(MadAgentSpec spec, MadHandler handler);

    MadStatistics statistics();
}
