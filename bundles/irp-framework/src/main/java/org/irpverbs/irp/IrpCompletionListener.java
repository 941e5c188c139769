package org.irpverbs.irp;

/**
 * The originator's notification that a request has completed all the way up (the Windows user
 * event or APC). Runs once per send, at DISPATCH, on the completing thread; it must not block.
 * After it runs the originator owns the request again and may {@link Irp#reuse()} it.
 */
@FunctionalInterface
public interface IrpCompletionListener {
    void completed(Irp irp);
}
