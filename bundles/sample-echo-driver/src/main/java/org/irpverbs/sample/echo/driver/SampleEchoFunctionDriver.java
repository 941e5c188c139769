package org.irpverbs.sample.echo.driver;

import org.irpverbs.irp.CompletionRoutine;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoStackLocation;
import org.irpverbs.irp.IoctlCode;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.osgi.service.component.annotations.Component;

/**
 * The upper layer of the two-layer sample stack: the function driver for the echo bus's child
 * ({@value #HARDWARE_ID}). It owns the client-facing contract of the echo device and leaves the
 * work to the "hardware" below.
 * <pre>
 *  kernel client ── INTERNAL_DEVICE_CONTROL ──┐      user-mode client ── DeviceIoControl
 *                                             ▼               │ (I/O manager: handle, access,
 *                                   SampleEchoFunction&lt;k&gt;  ◄──┘  method, buffer lengths)
 *                                   FDO, this driver: validates, counts, forwards
 *                                             │ INTERNAL_DEVICE_CONTROL (+ completion routine)
 *                                             ▼
 *                                   SampleEcho&lt;k&gt;  PDO of sample-echo-bus: copies, maybe later
 * </pre>
 * Both paths end in the same internal request to the PDO, which is claim 5 of docs/architecture.md §1
 * (kernel and user-mode clients share one path). The FDO registers the device interface
 * {@value #INTERFACE}, under which the framework publishes it as a {@code DeviceObject} service.
 *
 * <p><b>Validation</b> (here, so the lower layer can trust its caller): unknown IOCTL →
 * INVALID_DEVICE_REQUEST; no input or more than {@value #MAX_INPUT} bytes → INVALID_PARAMETER;
 * output shorter than input → BUFFER_TOO_SMALL. An internal request's argument (a {@code Long}
 * latency in nanoseconds) travels down unchanged; the device-control path cannot set one.
 *
 * <p><b>Lifecycle.</b> Both the DS component ({@link Driver} service for {@value #HARDWARE_ID})
 * and a plain object for tests. No {@code @Deactivate}: the PnP manager removes the FDOs after the
 * service is gone, and REMOVE waits (without a waiting thread) for the requests this layer passed
 * down, so they complete normally even after the bundle stopped.
 *
 * <p>Thread-safe: the driver object is immutable; per-device state is in
 * {@link EchoFunctionExtension}.
 */
@Component(service = Driver.class, property = Driver.HARDWARE_IDS + "=" + SampleEchoFunctionDriver.HARDWARE_ID)
public final class SampleEchoFunctionDriver implements Driver {
    public static final String DRIVER_NAME = "SampleEchoFunction";
    /** The hardware ID the echo bus gives its child. */
    public static final String HARDWARE_ID = "IRPVERBS\\SAMPLE_ECHO";
    /** The device interface clients look the echo device up by. */
    public static final String INTERFACE = "irpverbs.sample.echo";
    /**
     * The echo request, the same code the bus driver's child serves (drivers export nothing, so
     * both declare it, like two Windows drivers including one IOCTL header).
     */
    public static final int IOCTL_ECHO = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_IRPVERBS, 0x800,
            IoctlCode.METHOD_BUFFERED, IoctlCode.FILE_ANY_ACCESS);
    /** Largest input accepted: 64 KiB, far below the I/O manager's own user-buffer limit. */
    public static final int MAX_INPUT = 64 * 1024;

    static final String DEVICE_BASE_NAME = "SampleEchoFunction";

    /**
     * Counts the final status the PDO (or a cancel) gave each forwarded request. (The PDO's pending
     * mark reaches this layer without the routine's help: the framework carries it up.)
     */
    private static final CompletionRoutine COUNT_COMPLETION = (device, irp, context) -> {
        ((EchoFunctionExtension) context).completed(irp.status());
        return CompletionRoutine.CONTINUE_COMPLETION;
    };

    private final DriverObject driverObject;

    /** Creates the driver; used by DS and directly by tests and embedders. */
    public SampleEchoFunctionDriver() {
        this.driverObject = DriverObject.builder(DRIVER_NAME)
                .dispatch(MajorFunction.CREATE, SampleEchoFunctionDriver::create)
                .dispatch(MajorFunction.CLOSE, SampleEchoFunctionDriver::close)
                .dispatch(MajorFunction.DEVICE_CONTROL, SampleEchoFunctionDriver::echo)
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, SampleEchoFunctionDriver::echo)
                .build();
    }

    @Override
    public DriverObject driverObject() {
        return driverObject;
    }

    /**
     * {@code AddDevice}: one FDO per echo PDO, with the first free name ({@code SampleEchoFunction#}),
     * attached on the PDO and offering {@value #INTERFACE} once the stack has started.
     */
    @Override
    public DeviceObject addDevice(IoManager io, DeviceObject physicalDevice) {
        EchoFunctionExtension extension = new EchoFunctionExtension();
        DeviceObject fdo = io.createDevice(driverObject, DEVICE_BASE_NAME + "#", DeviceObject.Kind.FUNCTION, extension);
        io.attach(fdo, physicalDevice);
        fdo.registerInterface(INTERFACE);
        return fdo;
    }

    /** CREATE: a handle opens; the FDO completes it itself, the PDO has no per-handle state. */
    private static int create(DeviceObject device, Irp irp) {
        device.extension(EchoFunctionExtension.class).handleOpened();
        irp.complete(NtStatus.SUCCESS);
        return NtStatus.SUCCESS;
    }

    /** CLOSE: the handle is gone (CLEANUP already cancelled its queued requests). */
    private static int close(DeviceObject device, Irp irp) {
        device.extension(EchoFunctionExtension.class).handleClosed();
        irp.complete(NtStatus.SUCCESS);
        return NtStatus.SUCCESS;
    }

    /** DEVICE_CONTROL and INTERNAL_DEVICE_CONTROL: validate, then forward as an internal request. */
    private static int echo(DeviceObject device, Irp irp) {
        EchoFunctionExtension extension = device.extension(EchoFunctionExtension.class);
        int invalid = validate(irp.currentLocation());
        if (invalid != NtStatus.SUCCESS) {
            extension.rejected();
            irp.complete(invalid);
            return invalid;
        }
        // the PDO serves the internal interface only: a user-mode request becomes an internal
        // one here, after validation, with the I/O manager's system buffers as its buffers
        irp.copyCurrentToNext().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL);
        irp.setCompletionRoutine(COUNT_COMPLETION, extension);
        extension.forwarded();
        return device.lowerDevice().callDriver(irp);
    }

    /** SUCCESS, or the status the request fails with. */
    static int validate(IoStackLocation loc) {
        if (loc.ioControlCode() != IOCTL_ECHO) {
            return NtStatus.INVALID_DEVICE_REQUEST;
        }
        int input = loc.inputLength();
        if (input == 0 || input > MAX_INPUT) {
            return NtStatus.INVALID_PARAMETER;
        }
        if (loc.outputLength() < input) {
            return NtStatus.BUFFER_TOO_SMALL;
        }
        return NtStatus.SUCCESS;
    }
}
