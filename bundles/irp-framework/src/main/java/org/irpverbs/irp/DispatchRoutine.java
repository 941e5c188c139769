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
    int dispatch(DeviceObject device, Irp irp);
}
