package org.irpverbs.sample.echo.bus;

import java.util.List;
import java.util.concurrent.CompletionStage;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoctlCode;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpHandler;
import org.irpverbs.irp.PnpState;
import org.osgi.service.component.annotations.Component;

/**
 * The lower layer of the two-layer sample stack: a root-enumerated bus driver (like a Windows
 * software bus enumerator) whose one child device echoes buffers back, optionally after a
 * simulated hardware latency.
 * <pre>
 *   ROOT\SampleEchoBus#n     PDO  created by the PnP manager because this driver is root-enumerated
 *     └─ SampleEchoBus&lt;k&gt;   FDO  this driver's bus device; QUERY_DEVICE_RELATIONS reports one child
 *
 *   SampleEcho&lt;k&gt;           PDO  the child, also this driver's device; hardware ID IRPVERBS\SAMPLE_ECHO;
 *                                serves {@link #IOCTL_ECHO} as INTERNAL_DEVICE_CONTROL
 *     └─ (the function driver that matches IRPVERBS\SAMPLE_ECHO attaches above: sample-echo-driver)
 * </pre>
 * One {@link DriverObject} serves both kinds of devices, so every routine dispatches on the
 * device's extension: {@link EchoBusExtension} for the bus FDO, {@link EchoChildExtension} for a
 * child PDO.
 *
 * <p><b>Lifecycle.</b> The class is both the Declarative Services component (registered as a
 * {@link Driver} service with {@value Driver#ROOT}=true) and a plain object that tests construct
 * directly and hand to {@code IoManagers.addDriver}. It has no {@code @Deactivate}: when the
 * service goes away the PnP manager removes the devices on its own serial queue, waiting for the
 * requests in flight without any thread waiting, so there is nothing for deactivation to do or to
 * wait for. Requests still in flight after the bundle stopped complete through timers owned by the
 * I/O manager ({@link IoManager#schedule}), never through threads owned by this bundle, and the old
 * revision's classes stay usable until a refresh.
 *
 * <p>Thread-safe: the driver object is immutable; device state lives in the extensions.
 */
@Component(service = Driver.class, property = Driver.ROOT + ":Boolean=true")
public final class SampleEchoBusDriver implements Driver {
    /** The driver's name; the PnP manager names the root device {@code ROOT\SampleEchoBus#n} after it. */
    public static final String DRIVER_NAME = "SampleEchoBus";
    /** The hardware ID of the child device, which the upper (function) driver is registered for. */
    public static final String CHILD_HARDWARE_ID = "IRPVERBS\\SAMPLE_ECHO";
    /**
     * The echo request: input bytes are copied to the output buffer; information = bytes copied.
     * The upper layer (sample-echo-driver) declares the same code: drivers export nothing, so the
     * code is part of the two drivers' contract, like a Windows driver's public IOCTL header.
     */
    public static final int IOCTL_ECHO = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_IRPVERBS, 0x800,
            IoctlCode.METHOD_BUFFERED, IoctlCode.FILE_ANY_ACCESS);

    static final String BUS_DEVICE_BASE_NAME = "SampleEchoBus";
    static final String CHILD_DEVICE_BASE_NAME = "SampleEcho";

    private final DriverObject driverObject;

    /** Creates the driver; used by DS and directly by tests and embedders. */
    public SampleEchoBusDriver() {
        this.driverObject = DriverObject.builder(DRIVER_NAME)
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, this::internalDeviceControl)
                .pnp(new BusPnp())
                .build();
    }

    @Override
    public DriverObject driverObject() {
        return driverObject;
    }

    /**
     * Creates the bus FDO on the root PDO. Called on the PnP manager's serial queue. The name gets
     * the first free index rather than a fixed one because two instances of this driver (for
     * example, the revisions before and after a bundle update) may have stacks at the same time.
     */
    @Override
    public DeviceObject addDevice(IoManager io, DeviceObject physicalDevice) {
        EchoBusExtension bus = new EchoBusExtension();
        DeviceObject fdo = io.createDevice(driverObject, BUS_DEVICE_BASE_NAME + "#", DeviceObject.Kind.FUNCTION, bus);
        io.attach(fdo, physicalDevice);
        return fdo;
    }

    /**
     * INTERNAL_DEVICE_CONTROL for every device of this driver. Only the child PDO has an internal
     * interface (echo); the bus FDO has none, so requests sent to the bus stack fail.
     */
    private int internalDeviceControl(DeviceObject device, Irp irp) {
        if (device.extension() instanceof EchoChildExtension child) {
            return child.dispatch(device, irp);
        }
        irp.complete(NtStatus.INVALID_DEVICE_REQUEST);
        return NtStatus.INVALID_DEVICE_REQUEST;
    }

    /**
     * Returns the bus's child, creating it on first enumeration (or again after the previous one
     * was deleted, e.g. when the bus was surprise-removed and restarted). Runs on the PnP
     * manager's serial queue, so enumerations of one bus never race.
     */
    private DeviceObject child(DeviceObject busFdo, EchoBusExtension bus) {
        DeviceObject child = bus.child();
        if (child == null || child.pnpState() == PnpState.DELETED) {
            IoManager io = busFdo.ioManager();
            EchoChildExtension extension = new EchoChildExtension();
            child = io.createPhysicalDevice(driverObject, CHILD_DEVICE_BASE_NAME + "#", List.of(CHILD_HARDWARE_ID), extension);
            // before the PnP manager learns of the child, so no request can arrive without its queue
            extension.bind(child);
            bus.setChild(child);
        }
        return child;
    }

    /** PnP callbacks shared by the bus FDO and the child PDOs; each dispatches on the extension. */
    private final class BusPnp implements PnpHandler {
        /**
         * Bus relations of the bus FDO: its one child. The PnP manager asks right after START, so
         * the bus needs no {@code invalidateDeviceRelations} of its own. A child PDO is no bus.
         */
        @Override
        public List<DeviceObject> queryBusRelations(DeviceObject device) {
            if (device.extension() instanceof EchoBusExtension bus) {
                return List.of(child(device, bus));
            }
            return null;
        }

        /** SURPRISE_REMOVAL of the bus: the child's hardware went with it. */
        @Override
        public void surpriseRemoval(DeviceObject device) {
            if (device.extension() instanceof EchoBusExtension bus) {
                childGone(bus, NtStatus.DEVICE_REMOVED);
            }
        }

        /**
         * REMOVE of the bus, after the PnP manager removed the child. A started child had its own
         * REMOVE (the framework failed its queue and waited for the rest); a child no function
         * driver started did not, so the bus fails what it still holds before forgetting it.
         */
        @Override
        public CompletionStage<Integer> remove(DeviceObject device) {
            if (device.extension() instanceof EchoBusExtension bus) {
                childGone(bus, NtStatus.DELETE_PENDING);
                bus.setChild(null);
            }
            return SUCCESS;
        }

        private void childGone(EchoBusExtension bus, int status) {
            DeviceObject child = bus.child();
            if (child != null) {
                child.extension(EchoChildExtension.class).busGone(status);
            }
        }
    }
}
