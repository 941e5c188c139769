package org.irpverbs.irp;

/**
 * Called once, at DISPATCH, when a pending request that has this routine set is cancelled. It must
 * make the request unreachable for the driver (remove it from its queue) and complete it with
 * {@link Irp#cancelStatus()}. Never called for a request whose routine was cleared first: see
 * {@link Irp#setCancelRoutine(CancelRoutine)}.
 */
@FunctionalInterface
public interface CancelRoutine {
    void cancel(DeviceObject device, Irp irp);
}
