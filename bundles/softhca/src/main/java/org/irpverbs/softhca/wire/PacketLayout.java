package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;

/**
 * Where the headers and the payload of one decoded packet are in its buffer: what
 * {@link PacketCodec#decode} fills so that the data path can read fields with the headers' static
 * accessors without creating objects. An offset of -1 means the header is absent.
 *
 * <p>Not thread-safe: reused by one thread for packet after packet.
 */
public final class PacketLayout {
    /** Result of the last decode. */
    public DecodeStatus status = DecodeStatus.OK;
    /** For a failed decode: the value the packet should have had and the one it had (see {@link #describe()}). */
    public int expected;
    public int actual;
    /** Offset of the LRH, or -1 for a transport part decoded on its own (RoCEv2). */
    public int lrhOffset = -1;
    public int grhOffset = -1;
    public int bthOffset = -1;
    public OpCode opcode;
    public int dethOffset = -1;
    public int rethOffset = -1;
    public int atomicEthOffset = -1;
    public int aethOffset = -1;
    public int atomicAckEthOffset = -1;
    public int immOffset = -1;
    public int payloadOffset = -1;
    /**
     * Where the payload is when it is not in the packet's own buffer (a segment run's payload held
     * by reference); null means the packet's buffer. See {@link #payloadSource}.
     */
    public ByteBuffer payloadBuffer;
    public int payloadLength;
    public int padCount;
    public int icrcOffset = -1;
    /** Exclusive end of the packet (after the ICRC). */
    public int end = -1;

    /** The buffer that holds the payload at {@link #payloadOffset}: {@code packet}, or {@link #payloadBuffer} if set. */
    public ByteBuffer payloadSource(ByteBuffer packet) {
        return payloadBuffer != null ? payloadBuffer : packet;
    }

    /** Forgets the previous packet. */
    public PacketLayout clear() {
        status = DecodeStatus.OK;
        expected = 0;
        actual = 0;
        lrhOffset = -1;
        grhOffset = -1;
        bthOffset = -1;
        opcode = null;
        dethOffset = -1;
        rethOffset = -1;
        atomicEthOffset = -1;
        aethOffset = -1;
        atomicAckEthOffset = -1;
        immOffset = -1;
        payloadOffset = -1;
        payloadBuffer = null;
        payloadLength = 0;
        padCount = 0;
        icrcOffset = -1;
        end = -1;
        return this;
    }

    DecodeStatus fail(DecodeStatus why, int expectedValue, int actualValue) {
        status = why;
        expected = expectedValue;
        actual = actualValue;
        return why;
    }

    /** A message for logs and tools: the status's reason with the values found (allocates). */
    public String describe() {
        return switch (status) {
            case OK -> "valid " + opcode + " packet, " + payloadLength + " payload bytes";
            case TRUNCATED -> status.reason() + ": needs at least " + expected + " bytes, has " + actual;
            case BAD_LENGTH, BAD_LINK_VERSION, BAD_TRANSPORT_VERSION, BAD_GRH -> status.reason() + " (expected "
                    + expected + ", found " + actual + ")";
            case UNSUPPORTED_LNH -> status.reason() + " (LNH " + actual + ")";
            case UNKNOWN_OPCODE -> status.reason() + String.format(" (0x%02X)", actual);
            case BAD_ICRC -> status.reason() + String.format(" (computed 0x%08X, carried 0x%08X)", expected, actual);
        };
    }
}
