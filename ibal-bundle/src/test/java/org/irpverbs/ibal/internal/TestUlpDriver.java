package org.irpverbs.ibal.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DispatchRoutine;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.PnpState;

/**
 * A port driver as IPoIB will be one: a function driver for {@code IBA\IPoIB} whose device passes
 * every internal request down to IBAL's port child. Tests send verbs to its device
 * ({@code new Verbs(io, device)}), so they take the ULP's path: ULP device → port child → HCA.
 */
final class TestUlpDriver implements Driver {
    private final DriverObject object;
    final List<DeviceObject> devices = new CopyOnWriteArrayList<>();

    TestUlpDriver(String name) {
        this.object = DriverObject.builder(name)
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, DispatchRoutine.PASS_DOWN)
                .build();
    }


    @Override
    public DriverObject driverObject() {
        return object;
    }

    @Override
    public DeviceObject addDevice(IoManager io, DeviceObject physicalDevice) {
        DeviceObject fdo = io.createDevice(object, object.name() + "-" + physicalDevice.name() + "#",
                DeviceObject.Kind.FUNCTION, null);
        io.attach(fdo, physicalDevice);
        devices.add(fdo);
        return fdo;
    }

    /** Its live device on the port child {@code child}. */
    DeviceObject on(DeviceObject child) {
        for (DeviceObject d : devices) {
            if (d.lowerDevice() == child && d.pnpState() != PnpState.DELETED) {
                return d;
            }
        }
        throw new AssertionError(object.name() + " has no device on " + child.name() + ": " + devices);
    }
}
