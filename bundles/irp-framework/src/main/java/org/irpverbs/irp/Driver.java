package org.irpverbs.irp;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A driver, registered as an OSGi service (whiteboard) so that the PnP manager can attach it to
 * the devices it serves ({@code AddDevice}). Service properties:
 * <ul>
 * <li>{@value #HARDWARE_IDS} (String or String[]): the hardware IDs it supports; a physical device
 * matches when one of its hardware IDs is listed;</li>
 * <li>{@value #ROLE}: {@code function} (default), {@code upperFilter} or {@code lowerFilter};</li>
 * <li>{@code service.ranking}: where several function drivers match, the highest ranking wins; a
 * better-ranked driver that arrives later takes the device over through an orderly removal;</li>
 * <li>{@value #ROOT} = true: a root-enumerated driver (a bus with no parent, like Windows' Root
 * devices): the PnP manager creates a physical device {@code ROOT\<driver name>} for it.</li>
 * </ul>
 * When the service goes away, the PnP manager removes the driver's devices in order (children
 * first, QUERY_REMOVE then REMOVE, in-flight requests drained) and gives its hardware to the next
 * matching driver. Implementations are called on the PnP manager's serial queue at DISPATCH.
 */
@ConsumerType
public interface Driver {
    String HARDWARE_IDS = "irp.driver.hardwareIds";
    String ROLE = "irp.driver.role";
    String ROOT = "irp.driver.root";

    /** The dispatch table; the same object for the driver's lifetime. */
    DriverObject driverObject();

    /**
     * {@code AddDevice}: creates this driver's device for {@code physicalDevice} with
     * {@link IoManager#createDevice} and attaches it with {@link IoManager#attach}. Must not block.
     *
     * @return the created device, or null to decline this physical device
     */
    DeviceObject addDevice(IoManager io, DeviceObject physicalDevice);
}
