package org.irpverbs.hca.core;

import org.irpverbs.softhca.Command;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Sends firmware commands to the HCA's command-interface device on behalf of one piece of work: a
 * verb (the verb's own request travels down as each command request in turn, re-sent from the
 * previous command's completion routine) or the driver's own start-up and shutdown (a request of its
 * own per command). A {@link ContextMemory} strategy issues its MAP_ICM and UNMAP_ICM through the
 * runner it is given, so they travel with the verb that needs them.
 *
 * <p>Not thread-safe: one command at a time per runner, the next one sent from the previous one's
 * callback. Never blocks in the queued command mode.
 */
@ProviderType
public interface CommandRunner {
    /** Sends {@code command}; {@code callback} runs exactly once when it has completed. */
    void run(Command command, CommandCallback callback);
}
