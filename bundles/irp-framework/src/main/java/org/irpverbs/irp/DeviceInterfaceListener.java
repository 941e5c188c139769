package org.irpverbs.irp;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told when a started stack's device interfaces become available and when they go away (the
 * OSGi component registers and unregisters a service for each). Called at PASSIVE on the
 * manager's system worker thread, in order.
 */
@ConsumerType
public interface DeviceInterfaceListener {
    /** {@code device} (a device of a started stack) offers {@code interfaceName}. */
    void interfaceEnabled(DeviceObject device, String interfaceName);

    /** The interface is going away (removal began); requests may still be in flight. */
    void interfaceDisabled(DeviceObject device, String interfaceName);
}
