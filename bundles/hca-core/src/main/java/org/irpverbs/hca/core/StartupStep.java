package org.irpverbs.hca.core;

import org.irpverbs.softhca.Command;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * One command of the bring-up sequence a {@link ContextMemory} strategy defines (Tavor: SYS_EN,
 * QUERY_FW, QUERY_DEV_LIM, INIT_HCA; mem-free: QUERY_FW, MAP_FA, RUN_FW, QUERY_DEV_LIM, INIT_HCA).
 * A step is asked for its command only when the steps before it have succeeded, so it can use
 * their outputs (the INIT_HCA profile depends on QUERY_DEV_LIM).
 */
@ConsumerType
@FunctionalInterface
public interface StartupStep {
    /**
     * @return the command to send now
     * @throws StartupFailure if the device cannot be started in this mode
     */
    Command command(StartupState state) throws StartupFailure;
}
