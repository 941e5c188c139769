package org.irpverbs.softhca;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One soft HCA as hardware: what a bus driver's physical device offers its function driver
 * through QUERY_INTERFACE (as a PCI bus offers BUS_INTERFACE_STANDARD). The driver talks to the
 * firmware through the {@link #firmware()} HCR, to the data path through {@link #dataPath()}, and
 * receives events through the handler it sets.
 *
 * <p>Thread-safe; every method is non-blocking.
 */
@ProviderType
public interface SoftHcaHardware {
    HcaConfig config();

    Firmware firmware();

    DataPath dataPath();

    /** Where completion and asynchronous events go (the driver's event queue handler). */
    void setEventHandler(HardwareEventHandler handler);

    /**
     * Chip reset, as when a driver leaves: every context, mapping and port session is dropped,
     * commands in progress never complete, and the firmware must be started again.
     */
    void reset();

    /**
     * Injects a catastrophic error: the hardware stops executing commands and moving data and
     * raises {@link org.irpverbs.verbs.AsyncEventType#CATASTROPHIC_ERROR}.
     */
    void injectCatastrophicError();

    /** True after a catastrophic error until the next reset. */
    boolean isFailed();

    HardwareStatistics statistics();
}
