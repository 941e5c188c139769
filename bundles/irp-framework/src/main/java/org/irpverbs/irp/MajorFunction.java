package org.irpverbs.irp;

/** The request kinds a driver dispatches on ({@code IRP_MJ_*}). */
public enum MajorFunction {
    /** Open a file object on the device (handle scope starts). */
    CREATE,
    /** The last handle to a file object was closed: complete that file's outstanding requests. */
    CLEANUP,
    /** The file object is being destroyed; no request refers to it any more. */
    CLOSE,
    READ,
    WRITE,
    /** The "user-mode" path: buffers are validated against the IOCTL's transfer method. */
    DEVICE_CONTROL,
    /** Requests between trusted bundles (ULP to IBAL to HCA). */
    INTERNAL_DEVICE_CONTROL,
    /** Plug and Play: see {@link PnpMinorFunction}. */
    PNP;

    static final MajorFunction[] VALUES = values();
}
