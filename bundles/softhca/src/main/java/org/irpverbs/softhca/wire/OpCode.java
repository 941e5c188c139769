package org.irpverbs.softhca.wire;

/**
 * BTH opcodes (IBA 9.2, table 38) for the transports the soft HCA implements: reliable connected
 * (opcode prefix {@code 000}) and unreliable datagram (prefix {@code 011}), with the extended
 * headers each one carries, in the order IBA fixes: BTH, DETH, RETH, AtomicETH, AETH, AtomicAckETH,
 * ImmDt, then the payload. UC, RD and XRC opcodes are not modelled (docs/architecture.md §11).
 *
 * <p>Thread-safe: an immutable enum; {@link #of(int)} is a table lookup that allocates nothing.
 */
public enum OpCode {
    RC_SEND_FIRST(0x00, Pos.FIRST, Kind.SEND, Headers.PAYLOAD),
    RC_SEND_MIDDLE(0x01, Pos.MIDDLE, Kind.SEND, Headers.PAYLOAD),
    RC_SEND_LAST(0x02, Pos.LAST, Kind.SEND, Headers.PAYLOAD),
    RC_SEND_LAST_WITH_IMMEDIATE(0x03, Pos.LAST, Kind.SEND, Headers.PAYLOAD | Headers.IMM),
    RC_SEND_ONLY(0x04, Pos.ONLY, Kind.SEND, Headers.PAYLOAD),
    RC_SEND_ONLY_WITH_IMMEDIATE(0x05, Pos.ONLY, Kind.SEND, Headers.PAYLOAD | Headers.IMM),
    RC_RDMA_WRITE_FIRST(0x06, Pos.FIRST, Kind.RDMA_WRITE, Headers.PAYLOAD | Headers.RETH),
    RC_RDMA_WRITE_MIDDLE(0x07, Pos.MIDDLE, Kind.RDMA_WRITE, Headers.PAYLOAD),
    RC_RDMA_WRITE_LAST(0x08, Pos.LAST, Kind.RDMA_WRITE, Headers.PAYLOAD),
    RC_RDMA_WRITE_LAST_WITH_IMMEDIATE(0x09, Pos.LAST, Kind.RDMA_WRITE, Headers.PAYLOAD | Headers.IMM),
    RC_RDMA_WRITE_ONLY(0x0A, Pos.ONLY, Kind.RDMA_WRITE, Headers.PAYLOAD | Headers.RETH),
    RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE(0x0B, Pos.ONLY, Kind.RDMA_WRITE, Headers.PAYLOAD | Headers.RETH | Headers.IMM),
    RC_RDMA_READ_REQUEST(0x0C, Pos.ONLY, Kind.RDMA_READ_REQUEST, Headers.RETH),
    RC_RDMA_READ_RESPONSE_FIRST(0x0D, Pos.FIRST, Kind.RDMA_READ_RESPONSE, Headers.PAYLOAD | Headers.AETH),
    RC_RDMA_READ_RESPONSE_MIDDLE(0x0E, Pos.MIDDLE, Kind.RDMA_READ_RESPONSE, Headers.PAYLOAD),
    RC_RDMA_READ_RESPONSE_LAST(0x0F, Pos.LAST, Kind.RDMA_READ_RESPONSE, Headers.PAYLOAD | Headers.AETH),
    RC_RDMA_READ_RESPONSE_ONLY(0x10, Pos.ONLY, Kind.RDMA_READ_RESPONSE, Headers.PAYLOAD | Headers.AETH),
    RC_ACKNOWLEDGE(0x11, Pos.ONLY, Kind.ACKNOWLEDGE, Headers.AETH),
    RC_ATOMIC_ACKNOWLEDGE(0x12, Pos.ONLY, Kind.ATOMIC_ACKNOWLEDGE, Headers.AETH | Headers.ATOMIC_ACK_ETH),
    RC_COMPARE_SWAP(0x13, Pos.ONLY, Kind.ATOMIC, Headers.ATOMIC_ETH),
    RC_FETCH_ADD(0x14, Pos.ONLY, Kind.ATOMIC, Headers.ATOMIC_ETH),
    UD_SEND_ONLY(0x64, Pos.ONLY, Kind.SEND, Headers.PAYLOAD | Headers.DETH),
    UD_SEND_ONLY_WITH_IMMEDIATE(0x65, Pos.ONLY, Kind.SEND, Headers.PAYLOAD | Headers.DETH | Headers.IMM);

    /** Where a packet sits in its message. */
    public enum Pos {
        FIRST, MIDDLE, LAST, ONLY
    }

    /** What the packet does, independent of its position. */
    public enum Kind {
        SEND, RDMA_WRITE, RDMA_READ_REQUEST, RDMA_READ_RESPONSE, ACKNOWLEDGE, ATOMIC_ACKNOWLEDGE, ATOMIC
    }

    /** Bits naming the extended headers an opcode carries. */
    public static final class Headers {
        private Headers() {}

        public static final int PAYLOAD = 1;
        public static final int DETH = 1 << 1;
        public static final int RETH = 1 << 2;
        public static final int ATOMIC_ETH = 1 << 3;
        public static final int AETH = 1 << 4;
        public static final int ATOMIC_ACK_ETH = 1 << 5;
        public static final int IMM = 1 << 6;
    }

    private static final OpCode[] BY_CODE = new OpCode[256];

    static {
        for (OpCode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;
    private final Pos position;
    private final Kind kind;
    private final int headers;
    private final int extendedBytes;

    OpCode(int code, Pos position, Kind kind, int headers) {
        this.code = code;
        this.position = position;
        this.kind = kind;
        this.headers = headers;
        int bytes = 0;
        if ((headers & Headers.DETH) != 0) {
            bytes += Deth.BYTES;
        }
        if ((headers & Headers.RETH) != 0) {
            bytes += Reth.BYTES;
        }
        if ((headers & Headers.ATOMIC_ETH) != 0) {
            bytes += AtomicEth.BYTES;
        }
        if ((headers & Headers.AETH) != 0) {
            bytes += Aeth.BYTES;
        }
        if ((headers & Headers.ATOMIC_ACK_ETH) != 0) {
            bytes += AtomicAckEth.BYTES;
        }
        if ((headers & Headers.IMM) != 0) {
            bytes += ImmDt.BYTES;
        }
        this.extendedBytes = bytes;
    }

    /** The 8-bit BTH value. */
    public int code() {
        return code;
    }

    /** The opcode with this BTH value, or null if the soft HCA does not implement it. */
    public static OpCode of(int code) {
        return code < 0 || code > 255 ? null : BY_CODE[code];
    }

    public Pos position() {
        return position;
    }

    public Kind kind() {
        return kind;
    }

    /** {@link Headers} bits. */
    public int headers() {
        return headers;
    }

    public boolean has(int header) {
        return (headers & header) != 0;
    }

    public boolean hasPayload() {
        return (headers & Headers.PAYLOAD) != 0;
    }

    public boolean hasImmediate() {
        return (headers & Headers.IMM) != 0;
    }

    /** Bytes of extended transport headers between the BTH and the payload. */
    public int extendedHeaderBytes() {
        return extendedBytes;
    }

    /** First packet of a message (FIRST or ONLY). */
    public boolean isFirst() {
        return position == Pos.FIRST || position == Pos.ONLY;
    }

    /** Last packet of a message (LAST or ONLY). */
    public boolean isLast() {
        return position == Pos.LAST || position == Pos.ONLY;
    }

    /** Unreliable datagram opcode (prefix 011). */
    public boolean isUd() {
        return (code & 0xE0) == 0x60;
    }

    /** Reliable connected opcode (prefix 000). */
    public boolean isRc() {
        return (code & 0xE0) == 0;
    }

    /** Sent by a responder (acknowledgements and read responses), as opposed to a request. */
    public boolean isResponse() {
        return kind == Kind.ACKNOWLEDGE || kind == Kind.ATOMIC_ACKNOWLEDGE || kind == Kind.RDMA_READ_RESPONSE;
    }
}
