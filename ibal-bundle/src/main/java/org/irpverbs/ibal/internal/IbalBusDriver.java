package org.irpverbs.ibal.internal;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.irpverbs.ibal.Ibal;
import org.irpverbs.ibal.IbalIds;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpHandler;
import org.irpverbs.irp.RequestorMode;

/**
 * IBAL as a driver: a root-enumerated bus whose device is IBAL's own, and whose children are the
 * port children of every bound CA.
 * <pre>
 *   ROOT\Ibal#n          PDO  created by the PnP manager (this driver is root-enumerated)
 *     └─ ibal&lt;k&gt;         FDO  IBAL's device: the client contract's requests (NEXT_EVENT,
 *                             UNREGISTER); QUERY_DEVICE_RELATIONS reports the children;
 *                             file objects and DEVICE_CONTROL: the user-mode path ({@link UserPath})
 *   hca0-port1-ipoib&lt;k&gt; PDO  a port child (IBA\IPoIB, instance ID the port GUID): verbs
 *                             forwarded to hca0's function device; speed path by QUERY_INTERFACE
 *     └─ (the port driver that matches IBA\IPoIB attaches above)
 * </pre>
 * One {@link DriverObject} serves both kinds of device; each routine dispatches on the extension.
 * IBAL binds to the HCAs not through its own stack but through their device interface (the HCA
 * stacks stay as they are when IBAL comes, goes or is updated); its children are its own.
 *
 * <p>Thread-safe: the driver object is immutable; state lives in {@link IbalCore} and the extensions.
 */
public final class IbalBusDriver implements Driver {
    /** The driver's name; the PnP manager names the root device {@code ROOT\Ibal#n}. */
    public static final String DRIVER_NAME = "Ibal";

    /** The extension of IBAL's own device: its user-mode path. */
    private static final class OwnDevice {
        UserPath user;
    }

    private final DriverObject driverObject;
    private final IbalCore core;

    /** IBAL in its default, {@link IbalMode#QUEUED} mode. */
    public IbalBusDriver(IoManager io, IbalCore.Lifecycle lifecycle) {
        this(io, lifecycle, IbalMode.QUEUED);
    }

    /**
     * IBAL in {@code mode}: {@link IbalMode#QUEUED} (no threads of its own) or {@link IbalMode#LEGACY}
     * (WinOF's three worker threads, for comparison; pair it with HCA drivers in legacy command mode).
     */
    public IbalBusDriver(IoManager io, IbalCore.Lifecycle lifecycle, IbalMode mode) {
        this.driverObject = DriverObject.builder(DRIVER_NAME)
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, this::internalDeviceControl)
                .dispatch(MajorFunction.DEVICE_CONTROL, this::fileRequest)
                .dispatch(MajorFunction.CREATE, this::fileRequest)
                .dispatch(MajorFunction.CLEANUP, this::fileRequest)
                .dispatch(MajorFunction.CLOSE, this::fileRequest)
                .pnp(new Pnp())
                .build();
        this.core = new IbalCore(io, driverObject, lifecycle, mode);
    }

    public IbalCore core() {
        return core;
    }

    @Override
    public DriverObject driverObject() {
        return driverObject;
    }

    /** IBAL's device on the root PDO; one per core (a second root device of the same IBAL is declined). */
    @Override
    public DeviceObject addDevice(IoManager io, DeviceObject physicalDevice) {
        if (core.device() != null || core.isShutDown()) {
            return null;
        }
        OwnDevice own = new OwnDevice();
        DeviceObject fdo = io.createDevice(driverObject, "ibal#", DeviceObject.Kind.FUNCTION, own);
        own.user = new UserPath(io, core, fdo);
        core.setUserPath(own.user);
        io.attach(fdo, physicalDevice);
        fdo.registerInterface(IbalIds.IBAL_DEVICE_INTERFACE);
        return fdo;
    }

    private int internalDeviceControl(DeviceObject device, Irp irp) {
        if (irp.requestorMode() == RequestorMode.USER) {
            // internal IOCTLs carry objects and trust their caller: a user-mode request never reaches them
            irp.complete(NtStatus.ACCESS_DENIED);
            return NtStatus.ACCESS_DENIED;
        }
        if (device.extension() instanceof PortChild child) {
            return child.dispatch(irp);
        }
        if (device.extension() instanceof OwnDevice) {
            return core.dispatchOwnDevice(irp);
        }
        irp.complete(NtStatus.INVALID_DEVICE_REQUEST);
        return NtStatus.INVALID_DEVICE_REQUEST;
    }

    /**
     * CREATE, CLEANUP, CLOSE and DEVICE_CONTROL: on IBAL's own device, the user-mode path (a file
     * object is a client); a port child takes handles as the framework's default would, and no
     * DEVICE_CONTROL.
     */
    private int fileRequest(DeviceObject device, Irp irp) {
        MajorFunction major = irp.currentLocation().majorFunction();
        if (device.extension() instanceof OwnDevice own) {
            return switch (major) {
                case CREATE -> own.user.create(irp);
                case CLEANUP -> own.user.cleanup(irp);
                case CLOSE -> own.user.close(irp);
                default -> own.user.deviceControl(irp);
            };
        }
        int status = major == MajorFunction.DEVICE_CONTROL ? NtStatus.INVALID_DEVICE_REQUEST : NtStatus.SUCCESS;
        irp.complete(status);
        return status;
    }

    private final class Pnp implements PnpHandler {
        @Override
        public CompletionStage<Integer> start(DeviceObject device) {
            if (device.extension() instanceof PortChild child) {
                return child.start(device);
            }
            core.deviceStarted(device);
            return SUCCESS;
        }

        @Override
        public CompletionStage<Integer> remove(DeviceObject device) {
            if (device.extension() instanceof PortChild child) {
                return child.remove();
            }
            // the user-mode files' objects go first, while IBAL still serves the CAs
            UserPath user = device.extension() instanceof OwnDevice own ? own.user : null;
            CompletionStage<Void> files = user == null ? CompletableFuture.<Void>completedFuture(null) : user.removeAll();
            return files.thenCompose(v -> core.removed()).thenApply(v -> NtStatus.SUCCESS);
        }

        @Override
        public List<DeviceObject> queryBusRelations(DeviceObject device) {
            return device.extension() instanceof OwnDevice ? core.children() : null;
        }

        @Override
        public Object queryInterface(DeviceObject device, Class<?> type) {
            if (device.extension() instanceof PortChild child) {
                return child.queryInterface(type);
            }
            return type == Ibal.class ? core : null;
        }
    }
}
