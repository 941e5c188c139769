package org.irpverbs.irp;

/**
 * A driver's handler for one {@link MajorFunction}. Runs on the caller's thread at the caller's
 * level, which may be DISPATCH: it must not block. It either completes the request and returns its
 * status, passes it down and returns what the lower device returned, or marks it pending
 * ({@link Irp#markPending()}), keeps it (for example in a {@link CancelSafeQueue}) and returns
 * {@link NtStatus#PENDING}.
 */
@FunctionalInterface
public interface DispatchRoutine {
    /**
     * Passes the request on unchanged to the device below (Windows' IoSkipCurrentIrpStackLocation
     * then IoCallDriver): what a filter, or a port driver whose verbs the bus below serves, does
     * with the requests it does not handle itself.
     */
    DispatchRoutine PASS_DOWN = (device, irp) -> {
        irp.skipCurrentLocation();
        return device.lowerDevice().callDriver(irp);
    };

    int dispatch(DeviceObject device, Irp irp);
}
