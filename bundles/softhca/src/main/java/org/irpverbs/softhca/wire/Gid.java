package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;

/**
 * A 128-bit global identifier (IBA 4.1.1): a 64-bit subnet prefix and a 64-bit interface ID (the
 * port GUID for a port's default GID). Multicast GIDs start with 0xFF.
 *
 * <p>Thread-safe: immutable.
 *
 * @param prefix      the high 64 bits (e.g. the link-local prefix 0xFE80000000000000)
 * @param interfaceId the low 64 bits
 */
public record Gid(long prefix, long interfaceId) {
    public static final int BYTES = 16;
    /** The default subnet prefix, fe80::/64. */
    public static final long LINK_LOCAL_PREFIX = 0xFE80000000000000L;
    public static final Gid ZERO = new Gid(0, 0);

    /** A port's default GID: the link-local prefix and its port GUID. */
    public static Gid linkLocal(long portGuid) {
        return new Gid(LINK_LOCAL_PREFIX, portGuid);
    }

    /**
     * A GID from 16 bytes in network order.
     *
     * @throws IllegalArgumentException if {@code bytes} is not 16 long
     */
    public static Gid of(byte[] bytes) {
        if (bytes == null || bytes.length != BYTES) {
            throw new IllegalArgumentException("a GID is 16 bytes, was " + (bytes == null ? "null" : bytes.length));
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        return new Gid(b.getLong(0), b.getLong(8));
    }

    public boolean isMulticast() {
        return (prefix >>> 56) == 0xFF;
    }

    public byte[] toBytes() {
        byte[] out = new byte[BYTES];
        ByteBuffer.wrap(out).putLong(prefix).putLong(interfaceId);
        return out;
    }

    public void write(ByteBuffer b, int off) {
        b.putLong(off, prefix);
        b.putLong(off + 8, interfaceId);
    }

    public static Gid read(ByteBuffer b, int off) {
        return new Gid(b.getLong(off), b.getLong(off + 8));
    }

    /** IPv6 notation with eight 16-bit groups, e.g. {@code fe80:0:0:0:2:c903:0:1}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(40);
        for (int i = 0; i < 8; i++) {
            long word = i < 4 ? prefix : interfaceId;
            int shift = 48 - 16 * (i % 4);
            if (i > 0) {
                s.append(':');
            }
            s.append(Long.toHexString((word >>> shift) & 0xFFFF));
        }
        return s.toString();
    }
}
