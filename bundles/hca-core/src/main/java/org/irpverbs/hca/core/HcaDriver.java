package org.irpverbs.hca.core;

import java.util.Objects;
import java.util.function.Supplier;
import org.irpverbs.hca.core.internal.HcaStack;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.IoManager;

/**
 * An HCA function driver, given where context memory lives. A driver bundle's Declarative
 * Services component (a {@link org.irpverbs.irp.Driver} service for the hardware IDs it supports)
 * delegates {@code driverObject()} and {@code addDevice()} to one of these:
 * <pre>
 * &#64;Component(service = Driver.class, property = {Driver.HARDWARE_IDS + "=" + HcaModel.TAVOR_COMPATIBLE_ID, ...})
 * public final class TavorDriver implements Driver {
 *     private final HcaDriver hca = new HcaDriver("TavorHca", "tavor", TavorContextMemory::new, options);
 *     public DriverObject driverObject() { return hca.driverObject(); }
 *     public DeviceObject addDevice(IoManager io, DeviceObject pdo) { return hca.addDevice(io, pdo); }
 * }
 * </pre>
 * Each device it adds is a stack of the command-interface device and the HCA function device
 * (extension: {@link HcaDevice}), offering the device interface {@value #DEVICE_INTERFACE} once
 * started: verbs as INTERNAL_DEVICE_CONTROL requests ({@code org.irpverbs.verbs.VerbsIoctl}), the
 * speed path with QUERY_INTERFACE({@code VerbsSpeedPath}).
 *
 * <p>Thread-safe; nothing it does blocks (in the queued command mode).
 */
public final class HcaDriver {
    /** The device interface every HCA function device registers. */
    public static final String DEVICE_INTERFACE = org.irpverbs.verbs.VerbsInterface.DEVICE_INTERFACE;

    private final HcaStack stack;

    /**
     * @param driverName the driver's name (the driver object's, shown by {@code irp:stacks})
     * @param tag        a short name for its devices: {@code hca0-<tag>0}
     * @param memory     makes one device's context-memory strategy (called once per AddDevice)
     * @param options    the command-interface mode and timeout
     */
    public HcaDriver(String driverName, String tag, Supplier<ContextMemory> memory, HcaDriverOptions options) {
        this.stack = new HcaStack(Objects.requireNonNull(driverName, "driverName"), Objects.requireNonNull(tag, "tag"),
                Objects.requireNonNull(memory, "memory"), Objects.requireNonNull(options, "options"));
    }

    public DriverObject driverObject() {
        return stack.driverObject();
    }

    public HcaDriverOptions options() {
        return stack.options();
    }

    /** {@code AddDevice}: called by the PnP manager for each HCA physical device this driver wins. */
    public DeviceObject addDevice(IoManager io, DeviceObject physicalDevice) {
        return stack.addDevice(io, physicalDevice, DEVICE_INTERFACE);
    }
}
