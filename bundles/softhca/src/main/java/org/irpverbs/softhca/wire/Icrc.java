package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/**
 * The invariant CRC (IBA 7.8.1): a CRC-32 with the Ethernet polynomial over every field that no
 * switch or router changes, computed with the variant fields replaced by ones:
 * <ul>
 * <li>local packet (LNH = IBA local): the LRH with its VL field as 1s, the BTH with Resv8a as 1s,
 * the extended headers, payload and pad;</li>
 * <li>global packet (LNH = IBA global): the whole LRH as 1s (routers rewrite it), the GRH with
 * TClass, FlowLabel and HopLmt as 1s, then the transport part as above;</li>
 * <li>RoCEv2 (for a later UDP transport): 8 bytes of 1s for the absent LRH, the IP and UDP headers
 * with their variant fields as 1s (a prefix the caller builds), then the transport part as above —
 * {@link #computeTransport}.</li>
 * </ul>
 * The 32-bit result is the standard CRC-32 value ({@link CRC32}, which the JDK computes with
 * carry-less multiply instructions) and is sent least-significant byte first, as the Ethernet FCS
 * is and as Linux rxe and Mellanox hardware put it on the wire.
 *
 * <p>Not thread-safe: one instance per thread (it keeps a {@link CRC32} and a scratch buffer so
 * that computing allocates nothing). For a direct or read-only buffer the computation moves the
 * buffer's position and limit and restores them, so the buffer must not be used by another thread
 * meanwhile.
 */
public final class Icrc {
    public static final int BYTES = 4;
    private static final int MAX_MASKED = Lrh.BYTES + Grh.BYTES + Bth.BYTES;

    private final CRC32 crc = new CRC32();
    private final byte[] scratch = new byte[MAX_MASKED];

    /**
     * The ICRC of a native IB packet that starts with its LRH at {@code start} and whose ICRC field
     * is at {@code icrcOffset} (everything before it is covered).
     */
    public int compute(ByteBuffer b, int start, int icrcOffset) {
        crc.reset();
        int n;
        int bth;
        if (Lrh.lnh(b, start) == Lrh.LNH_IBA_GLOBAL) {
            for (int i = 0; i < Lrh.BYTES; i++) {
                scratch[i] = (byte) 0xFF;
            }
            b.get(start + Lrh.BYTES, scratch, Lrh.BYTES, Grh.BYTES);
            scratch[Lrh.BYTES] |= 0x0F; // TClass high nibble
            scratch[Lrh.BYTES + 1] = (byte) 0xFF; // TClass low nibble, FlowLabel
            scratch[Lrh.BYTES + 2] = (byte) 0xFF;
            scratch[Lrh.BYTES + 3] = (byte) 0xFF;
            scratch[Lrh.BYTES + 7] = (byte) 0xFF; // HopLmt
            n = Lrh.BYTES + Grh.BYTES;
            bth = start + n;
        } else {
            b.get(start, scratch, 0, Lrh.BYTES);
            scratch[0] |= (byte) 0xF0; // VL
            n = Lrh.BYTES;
            bth = start + n;
        }
        b.get(bth, scratch, n, Bth.BYTES);
        scratch[n + 4] = (byte) 0xFF; // Resv8a
        n += Bth.BYTES;
        crc.update(scratch, 0, n);
        update(b, bth + Bth.BYTES, icrcOffset);
        return (int) crc.getValue();
    }

    /**
     * The ICRC of a transport part (BTH at {@code bthOffset} up to the ICRC field at
     * {@code icrcOffset}) after an already-masked prefix: for RoCEv2, 8 bytes of 1s followed by the
     * IP and UDP headers with TOS/TClass, FlowLabel, TTL/HopLimit and the checksums as 1s.
     */
    public int computeTransport(byte[] maskedPrefix, int prefixLength, ByteBuffer b, int bthOffset, int icrcOffset) {
        crc.reset();
        crc.update(maskedPrefix, 0, prefixLength);
        b.get(bthOffset, scratch, 0, Bth.BYTES);
        scratch[4] = (byte) 0xFF;
        crc.update(scratch, 0, Bth.BYTES);
        update(b, bthOffset + Bth.BYTES, icrcOffset);
        return (int) crc.getValue();
    }

    private void update(ByteBuffer b, int from, int to) {
        if (to <= from) {
            return;
        }
        if (b.hasArray()) {
            crc.update(b.array(), b.arrayOffset() + from, to - from);
        } else {
            int position = b.position();
            int limit = b.limit();
            b.limit(to).position(from);
            crc.update(b);
            b.limit(limit).position(position);
        }
    }

    /** Writes an ICRC value at {@code off}, least-significant byte first. */
    public static void write(ByteBuffer b, int off, int icrc) {
        b.put(off, (byte) icrc);
        b.put(off + 1, (byte) (icrc >>> 8));
        b.put(off + 2, (byte) (icrc >>> 16));
        b.put(off + 3, (byte) (icrc >>> 24));
    }

    /** Reads the ICRC field at {@code off}. */
    public static int read(ByteBuffer b, int off) {
        return (b.get(off) & 0xFF) | (b.get(off + 1) & 0xFF) << 8 | (b.get(off + 2) & 0xFF) << 16
                | (b.get(off + 3) & 0xFF) << 24;
    }
}
