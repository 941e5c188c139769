package org.irpverbs.softhca.wire;

/**
 * Why a packet was or was not accepted by {@link PacketCodec}. A receiver drops every packet that
 * is not {@link #OK} and counts it (PortRcvErrors); no decode failure ever escapes as an exception.
 *
 * <p>Thread-safe: an immutable enum.
 */
public enum DecodeStatus {
    OK("valid"),
    TRUNCATED("shorter than the headers its LRH, LNH and opcode call for"),
    BAD_LENGTH("a length field (LRH PktLen, GRH PayLen, BTH PadCnt) disagrees with the packet's size"),
    BAD_LINK_VERSION("LRH LVer is not 0"),
    UNSUPPORTED_LNH("LRH LNH is raw or IP, not an IBA transport"),
    BAD_GRH("GRH IPVer is not 6 or NxtHdr is not 0x1B (IBA transport)"),
    BAD_TRANSPORT_VERSION("BTH TVer is not 0"),
    UNKNOWN_OPCODE("BTH opcode is not an RC or UD opcode the soft HCA implements"),
    BAD_ICRC("the invariant CRC does not match the packet's contents");

    private final String reason;

    DecodeStatus(String reason) {
        this.reason = reason;
    }

    /** A sentence saying what is wrong. */
    public String reason() {
        return reason;
    }
}
