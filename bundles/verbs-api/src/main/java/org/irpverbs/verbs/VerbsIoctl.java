package org.irpverbs.verbs;

import org.irpverbs.irp.IoctlCode;

/**
 * The verbs IOCTL codes an HCA device serves as INTERNAL_DEVICE_CONTROL, each with its
 * {@link VerbsRequest} argument. Device type {@link IoctlCode#FILE_DEVICE_INFINIBAND}, functions
 * from 0x800, METHOD_NEITHER (typed arguments, trusted callers).
 */
public final class VerbsIoctl {
    private VerbsIoctl() {}

    private static int code(int function) {
        return IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_INFINIBAND, function, IoctlCode.METHOD_NEITHER,
                IoctlCode.FILE_ANY_ACCESS);
    }

    public static final int QUERY_CA = code(0x800);
    public static final int QUERY_PORT = code(0x801);
    public static final int ALLOC_PD = code(0x802);
    public static final int DEALLOC_PD = code(0x803);
    public static final int REG_MR = code(0x804);
    public static final int DEREG_MR = code(0x805);
    public static final int CREATE_CQ = code(0x806);
    public static final int RESIZE_CQ = code(0x807);
    public static final int DESTROY_CQ = code(0x808);
    public static final int REQ_NOTIFY_CQ = code(0x809);
    public static final int CREATE_QP = code(0x80A);
    public static final int MODIFY_QP = code(0x80B);
    public static final int QUERY_QP = code(0x80C);
    public static final int DESTROY_QP = code(0x80D);
    public static final int CREATE_AH = code(0x80E);
    public static final int DESTROY_AH = code(0x80F);
    public static final int ATTACH_MCAST = code(0x810);
    public static final int DETACH_MCAST = code(0x811);
    public static final int GET_ASYNC_EVENT = code(0x812);
    /** Since 1.2: a port's QP0 or QP1 ({@link VerbsRequest.CreateSpecialQp}). */
    public static final int CREATE_SPECIAL_QP = code(0x813);
    /** Since 1.2: a MAD to the port's own management agent, MAD_IFC ({@link VerbsRequest.LocalMad}). */
    public static final int LOCAL_MAD = code(0x814);

    /** A name for traces and shells. */
    public static String name(int code) {
        String[] names = {"QUERY_CA", "QUERY_PORT", "ALLOC_PD", "DEALLOC_PD", "REG_MR", "DEREG_MR", "CREATE_CQ",
            "RESIZE_CQ", "DESTROY_CQ", "REQ_NOTIFY_CQ", "CREATE_QP", "MODIFY_QP", "QUERY_QP", "DESTROY_QP", "CREATE_AH",
            "DESTROY_AH", "ATTACH_MCAST", "DETACH_MCAST", "GET_ASYNC_EVENT", "CREATE_SPECIAL_QP", "LOCAL_MAD"};
        int f = IoctlCode.function(code) - 0x800;
        if (IoctlCode.deviceType(code) == IoctlCode.FILE_DEVICE_INFINIBAND && f >= 0 && f < names.length) {
            return names[f];
        }
        return IoctlCode.toString(code);
    }
}
