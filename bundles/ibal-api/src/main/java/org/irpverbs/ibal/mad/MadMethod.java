package org.irpverbs.ibal.mad;

/**
 * MAD methods (IBA 13.4.5, Table 107) and which of them ask for a response. The method byte's
 * bit 7 is the response bit.
 */
public final class MadMethod {
    private MadMethod() {}

    /** Bit 7 of the method byte: this MAD is a response. */
    public static final int RESPONSE = 0x80;
    public static final int GET = 0x01;
    public static final int SET = 0x02;
    public static final int SEND = 0x03;
    public static final int TRAP = 0x05;
    public static final int REPORT = 0x06;
    public static final int TRAP_REPRESS = 0x07;
    public static final int GET_TABLE = 0x12;
    public static final int GET_TRACE_TABLE = 0x13;
    public static final int GET_MULTI = 0x14;
    public static final int DELETE = 0x15;
    public static final int GET_RESP = 0x81;
    public static final int REPORT_RESP = 0x86;
    public static final int GET_TABLE_RESP = 0x92;
    public static final int GET_TRACE_TABLE_RESP = 0x93;
    public static final int GET_MULTI_RESP = 0x94;
    public static final int DELETE_RESP = 0x95;

    /**
     * Whether a MAD with this method asks its receiver for a response: Get, Set, Report,
     * GetTable, GetTraceTable, GetMulti and Delete do; Send, Trap, TrapRepress and every response
     * do not (IBA 13.4.5).
     */
    public static boolean expectsResponse(int method) {
        return switch (method) {
            case GET, SET, REPORT, GET_TABLE, GET_TRACE_TABLE, GET_MULTI, DELETE -> true;
            default -> false;
        };
    }

    /** The method of the response to a request: Set is answered with GetResp, the others with method | R. */
    public static int responseTo(int method) {
        return method == SET ? GET_RESP : (method | RESPONSE) & 0xFF;
    }
}
