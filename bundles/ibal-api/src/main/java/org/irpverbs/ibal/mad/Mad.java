package org.irpverbs.ibal.mad;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A management datagram as it travels on QP0 and QP1: exactly 256 bytes, the 24-byte common
 * header ({@link MadHeader}) followed by 232 bytes of class-specific data (IBA 13.4.2). Classes
 * that put more headers in front of their attribute (RMPP, SA, DM) keep them in the data area, at
 * offsets their own layouts define.
 *
 * <p>Immutable and thread-safe: the bytes are copied in and out. Allocation: one 256-byte array.
 */
public final class Mad {
    /** Every MAD is this long on the wire (IBA 13.4.2). */
    public static final int BYTES = 256;
    /** Where the data after the common header starts. */
    public static final int DATA_OFFSET = MadHeader.BYTES;
    /** The data after the common header. */
    public static final int DATA_BYTES = BYTES - DATA_OFFSET;

    private final byte[] bytes;
    private final MadHeader header;

    private Mad(byte[] bytes) {
        this.bytes = bytes;
        this.header = MadHeader.decode(ByteBuffer.wrap(bytes), 0);
    }

    /**
     * A MAD of this header and data; data shorter than {@link #DATA_BYTES} is padded with zeros.
     *
     * @throws IllegalArgumentException if the data is longer than {@link #DATA_BYTES}
     */
    public static Mad of(MadHeader header, byte[] data) {
        if (header == null) {
            throw new IllegalArgumentException("a MAD needs a header");
        }
        byte[] d = data == null ? new byte[0] : data;
        if (d.length > DATA_BYTES) {
            throw new IllegalArgumentException("a MAD carries at most " + DATA_BYTES + " bytes after its header, was " + d.length);
        }
        byte[] b = new byte[BYTES];
        header.encode(ByteBuffer.wrap(b), 0);
        System.arraycopy(d, 0, b, DATA_OFFSET, d.length);
        return new Mad(b);
    }

    /**
     * The MAD in {@code length} bytes of {@code b} from {@code offset} (absolute).
     *
     * @throws IllegalArgumentException if {@code length} is not {@link #BYTES} or the buffer is shorter
     */
    public static Mad decode(ByteBuffer b, int offset, int length) {
        if (length != BYTES) {
            throw new IllegalArgumentException("a MAD is " + BYTES + " bytes, was " + length);
        }
        if (offset < 0 || b.limit() - offset < BYTES) {
            throw new IllegalArgumentException("a MAD needs " + BYTES + " bytes at offset " + offset + ", the buffer has "
                    + Math.max(0, b.limit() - offset));
        }
        byte[] copy = new byte[BYTES];
        b.get(offset, copy);
        return new Mad(copy);
    }

    /** The MAD in {@code bytes} (which must be {@link #BYTES} long). */
    public static Mad decode(byte[] bytes) {
        if (bytes == null) {
            throw new IllegalArgumentException("a MAD is " + BYTES + " bytes, was none");
        }
        return decode(ByteBuffer.wrap(bytes), 0, bytes.length);
    }

    public MadHeader header() {
        return header;
    }

    /** A copy of the 232 data bytes. */
    public byte[] data() {
        return Arrays.copyOfRange(bytes, DATA_OFFSET, BYTES);
    }

    /** A copy of all 256 bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** Copies the 256 bytes to {@code b} at {@code offset} (absolute). */
    public void encode(ByteBuffer b, int offset) {
        if (offset < 0 || b.limit() - offset < BYTES) {
            throw new IllegalArgumentException("a MAD needs " + BYTES + " bytes at offset " + offset);
        }
        b.put(offset, bytes);
    }

    /** Byte {@code i} (0..255) as an unsigned value. */
    public int byteAt(int i) {
        return bytes[i] & 0xFF;
    }

    /** This MAD with another header and the same data. */
    public Mad withHeader(MadHeader newHeader) {
        byte[] b = bytes.clone();
        newHeader.encode(ByteBuffer.wrap(b), 0);
        return new Mad(b);
    }

    /**
     * The response to this request, as a responder builds it (IBA 13.4.6.2): the same class,
     * version, TID, attribute and modifier, the response method ({@link MadMethod#responseTo}),
     * this status, and the given data (null: the request's data, as SMAs echo it).
     */
    public Mad response(int status, byte[] responseData) {
        MadHeader h = header.withMethod(MadMethod.responseTo(header.method())).withStatus(status);
        return responseData == null ? withHeader(h) : of(h, responseData);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Mad m && Arrays.equals(bytes, m.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return header.toString();
    }
}
