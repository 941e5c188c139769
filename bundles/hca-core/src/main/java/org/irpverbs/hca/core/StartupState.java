package org.irpverbs.hca.core;

import org.irpverbs.softhca.Command.DeviceLimits;
import org.irpverbs.softhca.Command.FirmwareInfo;
import org.irpverbs.softhca.HcaConfig;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What a {@link StartupStep} knows when it chooses its command: the hardware's configuration and
 * the outputs of QUERY_FW and QUERY_DEV_LIM once those commands have run.
 *
 * <p>Read on the start-up chain only; not thread-safe.
 */
@ProviderType
public interface StartupState {
    /** The hardware's configuration (what the bus enumerated). */
    HcaConfig config();

    /** QUERY_FW's output, or null before QUERY_FW has run. */
    FirmwareInfo firmware();

    /** QUERY_DEV_LIM's output, or null before QUERY_DEV_LIM has run. */
    DeviceLimits limits();
}
