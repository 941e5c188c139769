package org.irpverbs.irp;

/**
 * A per-layer callback run while a completed request unwinds up the stack (bottom-up), at
 * DISPATCH, on the thread that completed it. Set by a layer in the next-lower stack location
 * before it passes the request down ({@link Irp#setCompletionRoutine}).
 *
 * <p>Return {@link #CONTINUE_COMPLETION} to let the unwind go on, or
 * {@link NtStatus#MORE_PROCESSING_REQUIRED} to stop it: the request then belongs to this layer
 * again, which may re-send it or complete it later. A routine must not block, and must return at
 * DISPATCH (a routine that lowers the level is reported to {@link DriverVerifier}). A re-sent
 * request that completes again synchronously, on the routine's own thread, is unwound after the
 * routine returns, not inside its {@code callDriver}: retry loops do not grow the Java stack.
 */
@FunctionalInterface
public interface CompletionRoutine {
    int CONTINUE_COMPLETION = NtStatus.SUCCESS;

    /**
     * @param device  the device of the layer that set the routine (null if the originator set it)
     * @param irp     the completed request; its status and information are final for this layer
     * @param context the context given with the routine
     */
    int onCompletion(DeviceObject device, Irp irp, Object context);
}
