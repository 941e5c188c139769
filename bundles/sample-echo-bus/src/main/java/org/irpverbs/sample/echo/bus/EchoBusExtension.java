package org.irpverbs.sample.echo.bus;

import org.irpverbs.irp.DeviceObject;

/**
 * Device extension of the bus FDO: the child it enumerated. Written and read on the PnP
 * manager's serial queue; volatile so that shells reading {@link #toString()} see it too.
 */
public final class EchoBusExtension {
    private volatile DeviceObject child;

    EchoBusExtension() {}

    /** The child PDO reported in the bus relations, or null before the first enumeration. */
    public DeviceObject child() {
        return child;
    }

    void setChild(DeviceObject child) {
        this.child = child;
    }

    /** One line for shells ({@code irp:stats}). */
    @Override
    public String toString() {
        DeviceObject c = child;
        return "bus, child " + (c == null ? "none" : c.name());
    }
}
