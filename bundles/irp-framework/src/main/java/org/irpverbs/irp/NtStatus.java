package org.irpverbs.irp;

/**
 * Status codes carried by a completed request, with the values and names of Windows NTSTATUS so
 * that traces read the same as a Windows driver's. A status is "success" when its signed 32-bit
 * value is non-negative ({@code NT_SUCCESS}); warnings ({@code 0x8...}) and errors
 * ({@code 0xC...}) are negative.
 *
 * <p>Thread-safe: constants and pure functions only.
 */
public final class NtStatus {
    private NtStatus() {}

    public static final int SUCCESS = 0x00000000;
    /** Returned by a dispatch routine that will complete the request later. */
    public static final int PENDING = 0x00000103;
    /** Returned by a completion routine to stop the completion unwind and keep the request. */
    public static final int MORE_PROCESSING_REQUIRED = 0xC0000016;
    public static final int BUFFER_OVERFLOW = 0x80000005;
    /** The object is in use (e.g. a parent that still has children); retry once they are gone. */
    public static final int DEVICE_BUSY = 0x80000011;
    public static final int UNSUCCESSFUL = 0xC0000001;
    public static final int NOT_IMPLEMENTED = 0xC0000002;
    /**
     * A fixed-size record was given with the wrong length (here: an input buffer shorter than the
     * record the IOCTL takes).
     *
     * @since 1.3
     */
    public static final int INFO_LENGTH_MISMATCH = 0xC0000004;
    public static final int INVALID_HANDLE = 0xC0000008;
    public static final int INVALID_PARAMETER = 0xC000000D;
    public static final int NO_SUCH_DEVICE = 0xC000000E;
    public static final int INVALID_DEVICE_REQUEST = 0xC0000010;
    public static final int ACCESS_DENIED = 0xC0000022;
    public static final int BUFFER_TOO_SMALL = 0xC0000023;
    /**
     * A handle of the right owner but of another kind of object than the request needs.
     *
     * @since 1.3
     */
    public static final int OBJECT_TYPE_MISMATCH = 0xC0000024;
    public static final int DELETE_PENDING = 0xC0000056;
    /** An interface or structure of a version the receiver does not support. */
    public static final int REVISION_MISMATCH = 0xC0000059;
    public static final int INSUFFICIENT_RESOURCES = 0xC000009A;
    public static final int DEVICE_NOT_READY = 0xC00000A3;
    public static final int IO_TIMEOUT = 0xC00000B5;
    public static final int NOT_SUPPORTED = 0xC00000BB;
    public static final int INTERNAL_ERROR = 0xC00000E5;
    /**
     * {@code STATUS_INVALID_PARAMETER_1}: the first parameter (field) of a request is invalid;
     * {@code _2} to {@code _12} follow it ({@link #invalidParameter(int)}).
     *
     * @since 1.3
     */
    public static final int INVALID_PARAMETER_1 = 0xC00000EF;
    /** @since 1.3 */
    public static final int INVALID_PARAMETER_12 = 0xC00000FA;
    public static final int CANCELLED = 0xC0000120;
    public static final int INVALID_DEVICE_STATE = 0xC0000184;
    /**
     * A buffer of a size the request cannot take (here: an input buffer longer than the
     * fixed-size record the IOCTL takes).
     *
     * @since 1.3
     */
    public static final int INVALID_BUFFER_SIZE = 0xC0000206;
    public static final int DEVICE_REMOVED = 0xC00002B6;

    /**
     * {@code STATUS_INVALID_PARAMETER_n}, n = 1..12: which field of a request is bad.
     *
     * @throws IllegalArgumentException for an n outside 1..12
     * @since 1.3
     */
    public static int invalidParameter(int n) {
        if (n < 1 || n > 12) {
            throw new IllegalArgumentException("STATUS_INVALID_PARAMETER_n exists for n = 1..12, not " + n);
        }
        return INVALID_PARAMETER_1 + n - 1;
    }

    /** {@code NT_SUCCESS}: true for success and informational codes. */
    public static boolean isSuccess(int status) {
        return status >= 0;
    }

    /** The symbolic name, e.g. {@code STATUS_BUFFER_TOO_SMALL}, or the hex value if unknown. */
    public static String name(int status) {
        return switch (status) {
            case SUCCESS -> "STATUS_SUCCESS";
            case PENDING -> "STATUS_PENDING";
            case MORE_PROCESSING_REQUIRED -> "STATUS_MORE_PROCESSING_REQUIRED";
            case BUFFER_OVERFLOW -> "STATUS_BUFFER_OVERFLOW";
            case DEVICE_BUSY -> "STATUS_DEVICE_BUSY";
            case UNSUCCESSFUL -> "STATUS_UNSUCCESSFUL";
            case NOT_IMPLEMENTED -> "STATUS_NOT_IMPLEMENTED";
            case INFO_LENGTH_MISMATCH -> "STATUS_INFO_LENGTH_MISMATCH";
            case INVALID_HANDLE -> "STATUS_INVALID_HANDLE";
            case INVALID_PARAMETER -> "STATUS_INVALID_PARAMETER";
            case NO_SUCH_DEVICE -> "STATUS_NO_SUCH_DEVICE";
            case INVALID_DEVICE_REQUEST -> "STATUS_INVALID_DEVICE_REQUEST";
            case ACCESS_DENIED -> "STATUS_ACCESS_DENIED";
            case BUFFER_TOO_SMALL -> "STATUS_BUFFER_TOO_SMALL";
            case OBJECT_TYPE_MISMATCH -> "STATUS_OBJECT_TYPE_MISMATCH";
            case DELETE_PENDING -> "STATUS_DELETE_PENDING";
            case REVISION_MISMATCH -> "STATUS_REVISION_MISMATCH";
            case INSUFFICIENT_RESOURCES -> "STATUS_INSUFFICIENT_RESOURCES";
            case DEVICE_NOT_READY -> "STATUS_DEVICE_NOT_READY";
            case IO_TIMEOUT -> "STATUS_IO_TIMEOUT";
            case NOT_SUPPORTED -> "STATUS_NOT_SUPPORTED";
            case INTERNAL_ERROR -> "STATUS_INTERNAL_ERROR";
            case CANCELLED -> "STATUS_CANCELLED";
            case INVALID_DEVICE_STATE -> "STATUS_INVALID_DEVICE_STATE";
            case INVALID_BUFFER_SIZE -> "STATUS_INVALID_BUFFER_SIZE";
            case DEVICE_REMOVED -> "STATUS_DEVICE_REMOVED";
            default -> status >= INVALID_PARAMETER_1 && status <= INVALID_PARAMETER_12
                    ? "STATUS_INVALID_PARAMETER_" + (status - INVALID_PARAMETER_1 + 1)
                    : String.format("0x%08X", status);
        };
    }
}
