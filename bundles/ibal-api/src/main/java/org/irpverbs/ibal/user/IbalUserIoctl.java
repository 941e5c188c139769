package org.irpverbs.ibal.user;

import org.irpverbs.irp.IoctlCode;

/**
 * The DEVICE_CONTROL codes of IBAL's device for user-mode clients: device type
 * {@link IoctlCode#FILE_DEVICE_INFINIBAND}, functions 0xA00 to 0xA0F, {@link IoctlCode#METHOD_BUFFERED}
 * (one system buffer: the input is read in full before any output is written). Queries need
 * {@link IoctlCode#FILE_READ_ACCESS}, everything that creates, changes or consumes needs
 * {@link IoctlCode#FILE_WRITE_ACCESS} (the I/O manager refuses a handle without it: ACCESS_DENIED).
 * The records each takes and returns are in {@link UserRecords}; docs/ibal-user-abi.md lists them
 * byte by byte with the status of every error.
 */
public final class IbalUserIoctl {
    private IbalUserIoctl() {}

    /** The first function number; {@link #function} gives a code's offset from it. */
    public static final int FIRST_FUNCTION = 0xA00;

    public static final int QUERY_CAS = read(0x0);
    public static final int QUERY_PORT = read(0x1);
    public static final int CREATE_PD = write(0x2);
    public static final int DESTROY_PD = write(0x3);
    public static final int CREATE_CQ = write(0x4);
    public static final int DESTROY_CQ = write(0x5);
    public static final int CREATE_QP = write(0x6);
    public static final int DESTROY_QP = write(0x7);
    public static final int MODIFY_QP = write(0x8);
    public static final int REG_MR = write(0x9);
    public static final int DEREG_MR = write(0xA);
    public static final int CREATE_AH = write(0xB);
    public static final int DESTROY_AH = write(0xC);
    public static final int POLL_CQ = write(0xD);
    public static final int POST_SEND = write(0xE);
    public static final int POST_RECV = write(0xF);

    private static final String[] NAMES = {"QUERY_CAS", "QUERY_PORT", "CREATE_PD", "DESTROY_PD", "CREATE_CQ",
        "DESTROY_CQ", "CREATE_QP", "DESTROY_QP", "MODIFY_QP", "REG_MR", "DEREG_MR", "CREATE_AH", "DESTROY_AH", "POLL_CQ",
        "POST_SEND", "POST_RECV"};
    private static final int[] CODES = {QUERY_CAS, QUERY_PORT, CREATE_PD, DESTROY_PD, CREATE_CQ, DESTROY_CQ, CREATE_QP,
        DESTROY_QP, MODIFY_QP, REG_MR, DEREG_MR, CREATE_AH, DESTROY_AH, POLL_CQ, POST_SEND, POST_RECV};

    private static int read(int n) {
        return IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_INFINIBAND, FIRST_FUNCTION + n, IoctlCode.METHOD_BUFFERED,
                IoctlCode.FILE_READ_ACCESS);
    }

    private static int write(int n) {
        return IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_INFINIBAND, FIRST_FUNCTION + n, IoctlCode.METHOD_BUFFERED,
                IoctlCode.FILE_WRITE_ACCESS);
    }

    /** The code's index 0..15 in this ABI, or -1 if it is none of its codes. */
    public static int function(int code) {
        for (int i = 0; i < CODES.length; i++) {
            if (CODES[i] == code) {
                return i;
            }
        }
        return -1;
    }

    /** A name for traces: {@code IBAL_USER_CREATE_QP}, or the CTL_CODE fields if it is none of these. */
    public static String name(int code) {
        int i = function(code);
        return i < 0 ? IoctlCode.toString(code) : "IBAL_USER_" + NAMES[i];
    }
}
