package org.irpverbs.ibal;

import org.irpverbs.irp.IoctlCode;

/**
 * IBAL's own INTERNAL_DEVICE_CONTROL codes (besides the verbs of {@code org.irpverbs.verbs.VerbsIoctl},
 * which child devices accept as the HCA does). Device type {@link IoctlCode#FILE_DEVICE_INFINIBAND},
 * functions from 0x900, METHOD_NEITHER.
 */
public final class IbalIoctl {
    private IbalIoctl() {}

    /**
     * Sent to IBAL's device by {@link IbalRegistration#nextEvent()}: completes with the client's
     * next {@link IbalEvent}. Argument: {@link IbalRequest.NextEvent}.
     */
    public static final int NEXT_EVENT = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_INFINIBAND, 0x900,
            IoctlCode.METHOD_NEITHER, IoctlCode.FILE_ANY_ACCESS);

    /**
     * Sent to IBAL's device by {@link IbalRegistration#unregister()}: completes once the client had
     * remove() for every CA and its event requests failed, the fence. Argument: {@link IbalRequest.Unregister}.
     */
    public static final int UNREGISTER = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_INFINIBAND, 0x901,
            IoctlCode.METHOD_NEITHER, IoctlCode.FILE_ANY_ACCESS);

    /** A name for traces and shells. */
    public static String name(int code) {
        if (code == NEXT_EVENT) {
            return "IBAL_NEXT_EVENT";
        }
        if (code == UNREGISTER) {
            return "IBAL_UNREGISTER";
        }
        return IoctlCode.toString(code);
    }
}
