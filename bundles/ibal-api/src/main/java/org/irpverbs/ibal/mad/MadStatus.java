package org.irpverbs.ibal.mad;

/**
 * The common MAD status field (IBA 13.4.7, Table 111): bit 0 busy, bit 1 redirect required, bits
 * 2..4 the invalid-field code, bits 8..15 class specific; a directed-route SMP's bit 15 is its
 * direction bit instead.
 */
public final class MadStatus {
    private MadStatus() {}

    public static final int SUCCESS = 0;
    /** Bit 0: the responder is busy; the requester may retry. */
    public static final int BUSY = 0x0001;
    /** Bit 1: redirection required (ClassPortInfo says where). */
    public static final int REDIRECT = 0x0002;
    /** Invalid-field code 1: the base version, the class version or the class is not supported. */
    public static final int BAD_VERSION = 1 << 2;
    /** Invalid-field code 2: the method is not supported. */
    public static final int UNSUPPORTED_METHOD = 2 << 2;
    /** Invalid-field code 3: the method/attribute combination is not supported. */
    public static final int UNSUPPORTED_METHOD_ATTRIBUTE = 3 << 2;
    /** Invalid-field code 7: one or more fields of the attribute or its modifier hold an invalid value. */
    public static final int INVALID_FIELD = 7 << 2;
    /** Bits 2..4. */
    public static final int INVALID_FIELD_MASK = 7 << 2;
    /** Bit 15 of a directed-route SMP's status: D, the direction (1 on the return path). */
    public static final int DIRECTION = 0x8000;

    /** A short description for logs and shells. */
    public static String describe(int status) {
        StringBuilder s = new StringBuilder(String.format("0x%04X", status));
        switch (status & INVALID_FIELD_MASK) {
            case 0 -> { }
            case BAD_VERSION -> s.append(" bad version");
            case UNSUPPORTED_METHOD -> s.append(" method not supported");
            case UNSUPPORTED_METHOD_ATTRIBUTE -> s.append(" method/attribute not supported");
            case INVALID_FIELD -> s.append(" invalid attribute value");
            default -> s.append(" reserved invalid-field code");
        }
        if ((status & BUSY) != 0) {
            s.append(" busy");
        }
        if ((status & REDIRECT) != 0) {
            s.append(" redirect");
        }
        return s.toString();
    }
}
