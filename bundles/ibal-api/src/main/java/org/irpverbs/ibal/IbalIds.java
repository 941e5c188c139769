package org.irpverbs.ibal;

/**
 * The identifiers IBAL gives the devices it enumerates, in WinOF's forms, so that a ULP's driver
 * attaches by hardware ID exactly as on Windows ({@code Driver.HARDWARE_IDS}).
 *
 * <p>Thread-safe: constants and pure functions.
 */
public final class IbalIds {
    private IbalIds() {}

    /**
     * The hardware ID of every port child: one per CA port whose state is ACTIVE (WinOF's
     * {@code bus_port_mgr.c}); its instance ID is the port GUID ({@link #portInstanceId}).
     */
    public static final String PORT_HARDWARE_ID = "IBA\\IPoIB";

    /** The device interface of IBAL's own (root) device, for shells. */
    public static final String IBAL_DEVICE_INTERFACE = "irpverbs.ibal";

    /** The instance ID of a port child: the port GUID as 16 hex digits, as WinOF writes it. */
    public static String portInstanceId(long portGuid) {
        return String.format("%016x", portGuid);
    }

    /**
     * The instance ID of a partition child: the port GUID as 16 hex digits, a colon and the P_Key
     * as 4 ({@code 0002c90300001001:8001}), so that two partitions of one port are two devices of
     * the same hardware ID. Since 1.1.
     *
     * @throws IllegalArgumentException if {@code pkey} is not 16 bits
     */
    public static String partitionInstanceId(long portGuid, int pkey) {
        check(pkey, 0xFFFFL, "P_Key");
        return String.format("%016x:%04x", portGuid, pkey);
    }

    /**
     * The hardware ID of an I/O controller child, {@code IBA\V<vendor>P<product>S<subclass>s<subsubclass>v<version>}
     * (WinOF's {@code bus_iou_mgr.c} format: vendor 6, product 8, subclass 6, sub-subclass 6 and
     * version 4 hex digits).
     *
     * @throws IllegalArgumentException if a field does not fit its width
     */
    public static String ioControllerHardwareId(int vendorId, long productId, int subclass, int subsubclass, int version) {
        check(vendorId, 0xFFFFFFL, "vendor ID");
        check(productId, 0xFFFFFFFFL, "product ID");
        check(subclass, 0xFFFFFFL, "subclass");
        check(subsubclass, 0xFFFFFFL, "sub-subclass");
        check(version, 0xFFFFL, "version");
        return String.format("IBA\\V%06xP%08xS%06xs%06xv%04x", vendorId, productId, subclass, subsubclass, version);
    }

    private static void check(long value, long max, String what) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(what + " " + value + " does not fit (0.." + max + ")");
        }
    }
}
