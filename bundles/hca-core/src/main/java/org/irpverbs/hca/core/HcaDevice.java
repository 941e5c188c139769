package org.irpverbs.hca.core;

import org.irpverbs.irp.DeviceObject;
import org.irpverbs.softhca.Command.FirmwareInfo;
import org.irpverbs.softhca.HcaConfig;
import org.osgi.annotation.versioning.ProviderType;

/**
 * An HCA function device as shells and consoles see it: the extension of every device an
 * {@link HcaDriver} creates ({@code device.extension() instanceof HcaDevice}). Verbs go through the
 * device's requests ({@code org.irpverbs.verbs.Verbs}); this is the read-only view beside them.
 *
 * <p>Thread-safe; every method returns a snapshot and never blocks.
 */
@ProviderType
public interface HcaDevice {
    /** Where the device is in its life. */
    enum State {
        /** AddDevice done, not started. */
        ADDED,
        /** START is running its command chain. */
        STARTING,
        /** Serving verbs. */
        STARTED,
        /** START failed; the PnP manager removes the stack. */
        START_FAILED,
        /** The hardware is gone (catastrophic error or surprise removal); requests fail with DEVICE_REMOVED. */
        SURPRISE_REMOVED,
        /** REMOVE is closing the hardware. */
        REMOVING,
        /** Removed; the device object is deleted. */
        REMOVED
    }

    /** The hardware's name (the bus configuration's, e.g. {@code hca0}), or the physical device's before START. */
    String name();

    /** The function device. */
    DeviceObject device();

    State state();

    /** Where context memory lives: e.g. {@code "on-card (Tavor)"} or {@code "ICM (mem-free)"}. */
    String memoryMode();

    /** The hardware's configuration, or null before START found the hardware. */
    HcaConfig config();

    /** QUERY_FW's output, or null before START ran it. */
    FirmwareInfo firmware();

    HcaStatistics statistics();
}
