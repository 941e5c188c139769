package org.irpverbs.irp;

/**
 * I/O control codes in the Windows {@code CTL_CODE} layout:
 * <pre>
 *  31       16 15  14 13          2 1   0
 * +-----------+------+-------------+-----+
 * |DeviceType |Access|  Function   |Meth.|
 * +-----------+------+-------------+-----+
 * </pre>
 * The transfer method says how buffers travel ({@link #METHOD_BUFFERED}: copied through a system
 * buffer; {@code IN/OUT_DIRECT}: the caller's buffer is used in place; {@link #METHOD_NEITHER}:
 * raw, trusted callers only). The required access is checked against the access the caller's file
 * object was opened with.
 *
 * <p>Thread-safe: pure functions.
 */
public final class IoctlCode {
    private IoctlCode() {}

    public static final int METHOD_BUFFERED = 0;
    public static final int METHOD_IN_DIRECT = 1;
    public static final int METHOD_OUT_DIRECT = 2;
    public static final int METHOD_NEITHER = 3;

    public static final int FILE_ANY_ACCESS = 0;
    public static final int FILE_READ_ACCESS = 1;
    public static final int FILE_WRITE_ACCESS = 2;

    /** Device types 0x8000 and above are for vendors (here: irpverbs' own devices). */
    public static final int FILE_DEVICE_UNKNOWN = 0x22;
    public static final int FILE_DEVICE_IRPVERBS = 0x8000;
    public static final int FILE_DEVICE_INFINIBAND = 0x8001;

    /**
     * {@code CTL_CODE(deviceType, function, method, access)}.
     *
     * @throws IllegalArgumentException if a field does not fit its bits
     */
    public static int ctlCode(int deviceType, int function, int method, int access) {
        if (deviceType < 0 || deviceType > 0xFFFF) {
            throw new IllegalArgumentException("device type out of range 0..0xFFFF: " + deviceType);
        }
        if (function < 0 || function > 0xFFF) {
            throw new IllegalArgumentException("function out of range 0..0xFFF: " + function);
        }
        if (method < 0 || method > 3) {
            throw new IllegalArgumentException("transfer method out of range 0..3: " + method);
        }
        if (access < 0 || access > 3) {
            throw new IllegalArgumentException("access out of range 0..3: " + access);
        }
        return (deviceType << 16) | (access << 14) | (function << 2) | method;
    }

    public static int deviceType(int code) {
        return code >>> 16;
    }

    public static int access(int code) {
        return (code >>> 14) & 3;
    }

    public static int function(int code) {
        return (code >>> 2) & 0xFFF;
    }

    public static int method(int code) {
        return code & 3;
    }

    /** A readable form, e.g. {@code CTL_CODE(0x8000, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)}. */
    public static String toString(int code) {
        String[] methods = {"METHOD_BUFFERED", "METHOD_IN_DIRECT", "METHOD_OUT_DIRECT", "METHOD_NEITHER"};
        String[] accesses = {"FILE_ANY_ACCESS", "FILE_READ_ACCESS", "FILE_WRITE_ACCESS", "FILE_READ_WRITE_ACCESS"};
        return String.format("CTL_CODE(0x%X, 0x%X, %s, %s)", deviceType(code), function(code),
                methods[method(code)], accesses[access(code)]);
    }
}
