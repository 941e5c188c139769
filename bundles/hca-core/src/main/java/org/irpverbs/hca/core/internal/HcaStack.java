package org.irpverbs.hca.core.internal;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.irpverbs.hca.core.ContextMemory;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.hca.core.HcaDriverOptions;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.PnpHandler;
import org.irpverbs.softhca.cmdif.CommandInterface;
import org.irpverbs.softhca.cmdif.CommandMode;
import org.irpverbs.verbs.VerbsInterface;
import org.irpverbs.verbs.VerbsSpeedPath;

/**
 * Builds an HCA driver's dispatch table and its devices: what {@link org.irpverbs.hca.core.HcaDriver}
 * exposes to the driver bundles.
 * <pre>
 *   [HCA function device]   hca0-&lt;tag&gt;N   this driver: verbs IOCTLs, PnP, speed path
 *   [command interface]     hca0-cmdifN    CommandInterface (softhca): bound, queue, tokens
 *   [physical device]       hca0           the bus's soft HCA hardware
 * </pre>
 * Thread-safe: the driver object is immutable; per-device state lives in {@link FunctionDevice}.
 */
public final class HcaStack {
    private final String tag;
    private final Supplier<ContextMemory> memory;
    private final HcaDriverOptions options;
    private final DriverObject driverObject;

    /**
     * @param driverName the driver object's name
     * @param tag        names the function devices: {@code <physical device>-<tag>N}
     * @param memory     makes the context-memory strategy of one device
     */
    public HcaStack(String driverName, String tag, Supplier<ContextMemory> memory, HcaDriverOptions options) {
        this.tag = tag;
        this.memory = memory;
        this.options = options;
        this.driverObject = DriverObject.builder(driverName)
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, VerbDispatcher::dispatch)
                .pnp(new Pnp())
                .build();
    }

    public DriverObject driverObject() {
        return driverObject;
    }

    public HcaDriverOptions options() {
        return options;
    }

    /**
     * AddDevice: the command-interface device on the physical device, then the function device on
     * top, offering the {@code irpverbs.hca} interface once started.
     */
    public DeviceObject addDevice(IoManager io, DeviceObject pdo, String deviceInterface) {
        CommandInterface commandInterface = CommandInterface.attach(io, pdo, pdo.name() + "-cmdif#",
                options.commandMode(), options.commandTimeoutNanos());
        CommandPath path = options.commandMode() == CommandMode.LEGACY_BLOCKING
                ? new LegacyCommandPath(commandInterface, io)
                : new QueuedCommandPath(commandInterface, io);
        FunctionDevice device = new FunctionDevice(io, driverObject.name(), pdo, memory.get(), commandInterface, path);
        DeviceObject fdo = io.createDevice(driverObject, pdo.name() + "-" + tag + "#", DeviceObject.Kind.FUNCTION, device);
        io.attach(fdo, commandInterface.device());
        device.bind(fdo);
        fdo.registerInterface(deviceInterface);
        return fdo;
    }

    /** The PnP callbacks of every function device of this driver. */
    private static final class Pnp implements PnpHandler {
        @Override
        public CompletionStage<Integer> start(DeviceObject device) {
            return device.extension(FunctionDevice.class).start();
        }

        @Override
        public void surpriseRemoval(DeviceObject device) {
            device.extension(FunctionDevice.class).surpriseRemoved();
        }

        @Override
        public CompletionStage<Integer> remove(DeviceObject device) {
            return device.extension(FunctionDevice.class).remove();
        }

        /** The speed path, the versioned verbs interface and the shell's view; anything else (the hardware) is the devices below's. */
        @Override
        public Object queryInterface(DeviceObject device, Class<?> type) {
            FunctionDevice hca = device.extension(FunctionDevice.class);
            if (type == VerbsSpeedPath.class) {
                return hca.speedPath();
            }
            if (type == VerbsInterface.class) {
                return hca.verbsInterface();
            }
            if (type == HcaDevice.class) {
                return hca;
            }
            return null;
        }
    }
}
