package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;

/**
 * Builds and validates whole IB packets (LRH [GRH] BTH [extended headers] [payload] [pad] ICRC):
 * <ul>
 * <li>{@link #finish} completes a packet whose headers and payload a sender wrote in place: the
 * pad bytes, BTH PadCnt, LRH PktLen, GRH PayLen and the ICRC;</li>
 * <li>{@link #decode} checks a received packet — lengths, versions, LNH, opcode, extended headers
 * and the ICRC — and fills a {@link PacketLayout}; a bad packet yields a {@link DecodeStatus}
 * saying why, never an exception, so nothing malformed can hurt the receiver or the fabric;</li>
 * <li>{@link #decodeTransport} does the same for a transport part on its own (BTH onward), which
 * is what a RoCEv2 transport receives after its IP and UDP headers.</li>
 * </ul>
 * The VCRC is not modelled: the packet ends with its ICRC.
 *
 * <p>Instances are not thread-safe (each holds an {@link Icrc}); the static methods are.
 * Buffers must be big-endian.
 */
public final class PacketCodec {
    /** The smallest packet: LRH, BTH, ICRC. */
    public static final int MIN_PACKET_BYTES = Lrh.BYTES + Bth.BYTES + Icrc.BYTES;
    /**
     * The header allowance IBA adds to the MTU for the largest packet on a link (LRH, GRH, BTH,
     * extended headers, ICRC and VCRC: 126 bytes).
     */
    public static final int MAX_HEADER_BYTES = 126;

    private final Icrc icrc = new Icrc();

    /**
     * Completes a packet written at {@code start} (LRH first) whose payload ends at
     * {@code payloadEnd}: writes the pad, PadCnt, PktLen, PayLen (if there is a GRH) and the ICRC.
     * The LNH in the LRH must already say whether a GRH follows.
     *
     * @return the packet's length in bytes, from its LRH to the end of its ICRC
     */
    public int finish(ByteBuffer b, int start, int payloadEnd) {
        return finish(b, start, payloadEnd, true);
    }

    /**
     * {@link #finish(ByteBuffer, int, int)}, leaving the ICRC field zero when {@code computeIcrc}
     * is false: checksum offload, for a packet whose port computes the ICRC only if the packet
     * leaves the process ({@link #writeIcrc} then fills it in).
     */
    public int finish(ByteBuffer b, int start, int payloadEnd, boolean computeIcrc) {
        boolean global = Lrh.lnh(b, start) == Lrh.LNH_IBA_GLOBAL;
        int bth = start + Lrh.BYTES + (global ? Grh.BYTES : 0);
        int pad = (-(payloadEnd - start)) & 3;
        for (int i = 0; i < pad; i++) {
            b.put(payloadEnd + i, (byte) 0);
        }
        Bth.setPadCount(b, bth, pad);
        int icrcOffset = payloadEnd + pad;
        int total = icrcOffset + Icrc.BYTES - start;
        Lrh.setPacketLength(b, start, total >>> 2);
        if (global) {
            Grh.setPayloadLength(b, start + Lrh.BYTES, total - Lrh.BYTES - Grh.BYTES);
        }
        Icrc.write(b, icrcOffset, computeIcrc ? icrc.compute(b, start, icrcOffset) : 0);
        return total;
    }

    /**
     * Computes and writes the ICRC of the finished native IB packet in {@code [start, start + length)}
     * (its lengths and pad already set): what an offloading port does when the packet leaves.
     */
    public void writeIcrc(ByteBuffer b, int start, int length) {
        int icrcOffset = start + length - Icrc.BYTES;
        Icrc.write(b, icrcOffset, icrc.compute(b, start, icrcOffset));
    }

    /**
     * Decodes and validates the packet in {@code [offset, offset + length)} of {@code b}, the ICRC
     * included. Never throws for any content of the buffer.
     *
     * @return {@link DecodeStatus#OK} with {@code out} filled, or the reason the packet is invalid
     *         ({@code out.describe()} gives the details)
     */
    public DecodeStatus decode(ByteBuffer b, int offset, int length, PacketLayout out) {
        DecodeStatus s = decodeHeaders(b, offset, length, out);
        if (s != DecodeStatus.OK) {
            return s;
        }
        int computed = icrc.compute(b, offset, out.icrcOffset);
        int carried = Icrc.read(b, out.icrcOffset);
        if (computed != carried) {
            return out.fail(DecodeStatus.BAD_ICRC, computed, carried);
        }
        return DecodeStatus.OK;
    }

    /** {@link #decode} without the ICRC check: what a switch may look at. Thread-safe. */
    public static DecodeStatus decodeHeaders(ByteBuffer b, int offset, int length, PacketLayout out) {
        out.clear();
        if (offset < 0 || length < 0 || offset > b.limit() - length) {
            return out.fail(DecodeStatus.TRUNCATED, length, Math.max(0, b.limit() - Math.max(0, offset)));
        }
        if (length < MIN_PACKET_BYTES) {
            return out.fail(DecodeStatus.TRUNCATED, MIN_PACKET_BYTES, length);
        }
        out.lrhOffset = offset;
        int lver = Lrh.linkVersion(b, offset);
        if (lver != 0) {
            return out.fail(DecodeStatus.BAD_LINK_VERSION, 0, lver);
        }
        int lnh = Lrh.lnh(b, offset);
        if (lnh != Lrh.LNH_IBA_LOCAL && lnh != Lrh.LNH_IBA_GLOBAL) {
            return out.fail(DecodeStatus.UNSUPPORTED_LNH, Lrh.LNH_IBA_LOCAL, lnh);
        }
        int words = Lrh.packetLength(b, offset);
        if (words * 4 != length) {
            return out.fail(DecodeStatus.BAD_LENGTH, length, words * 4);
        }
        int bth = offset + Lrh.BYTES;
        if (lnh == Lrh.LNH_IBA_GLOBAL) {
            if (length < MIN_PACKET_BYTES + Grh.BYTES) {
                return out.fail(DecodeStatus.TRUNCATED, MIN_PACKET_BYTES + Grh.BYTES, length);
            }
            out.grhOffset = bth;
            int ipVersion = Grh.ipVersion(b, bth);
            if (ipVersion != Grh.IP_VERSION) {
                return out.fail(DecodeStatus.BAD_GRH, Grh.IP_VERSION, ipVersion);
            }
            int next = Grh.nextHeader(b, bth);
            if (next != Grh.NEXT_HEADER_IBA) {
                return out.fail(DecodeStatus.BAD_GRH, Grh.NEXT_HEADER_IBA, next);
            }
            int payLen = Grh.payloadLength(b, bth);
            if (payLen != length - Lrh.BYTES - Grh.BYTES) {
                return out.fail(DecodeStatus.BAD_LENGTH, length - Lrh.BYTES - Grh.BYTES, payLen);
            }
            bth += Grh.BYTES;
        }
        return decodeTransport(b, bth, offset + length, out);
    }

    /**
     * Decodes the transport part from the BTH at {@code bthOffset} to {@code end} (exclusive, the
     * ICRC included), as a RoCEv2 receiver has it. Does not check the ICRC (its prefix depends on
     * the network headers). Thread-safe.
     */
    public static DecodeStatus decodeTransport(ByteBuffer b, int bthOffset, int end, PacketLayout out) {
        out.bthOffset = bthOffset;
        out.end = end;
        int length = end - bthOffset;
        if (length < Bth.BYTES + Icrc.BYTES) {
            return out.fail(DecodeStatus.TRUNCATED, Bth.BYTES + Icrc.BYTES, length);
        }
        if ((length & 3) != 0) {
            return out.fail(DecodeStatus.BAD_LENGTH, length & ~3, length);
        }
        int tver = Bth.transportVersion(b, bthOffset);
        if (tver != 0) {
            return out.fail(DecodeStatus.BAD_TRANSPORT_VERSION, 0, tver);
        }
        int code = Bth.opcode(b, bthOffset);
        OpCode op = OpCode.of(code);
        if (op == null) {
            return out.fail(DecodeStatus.UNKNOWN_OPCODE, 0, code);
        }
        out.opcode = op;
        int p = bthOffset + Bth.BYTES;
        int needed = Bth.BYTES + op.extendedHeaderBytes() + Icrc.BYTES;
        if (length < needed) {
            return out.fail(DecodeStatus.TRUNCATED, needed, length);
        }
        if (op.has(OpCode.Headers.DETH)) {
            out.dethOffset = p;
            p += Deth.BYTES;
        }
        if (op.has(OpCode.Headers.RETH)) {
            out.rethOffset = p;
            p += Reth.BYTES;
        }
        if (op.has(OpCode.Headers.ATOMIC_ETH)) {
            out.atomicEthOffset = p;
            p += AtomicEth.BYTES;
        }
        if (op.has(OpCode.Headers.AETH)) {
            out.aethOffset = p;
            p += Aeth.BYTES;
        }
        if (op.has(OpCode.Headers.ATOMIC_ACK_ETH)) {
            out.atomicAckEthOffset = p;
            p += AtomicAckEth.BYTES;
        }
        if (op.has(OpCode.Headers.IMM)) {
            out.immOffset = p;
            p += ImmDt.BYTES;
        }
        int pad = Bth.padCount(b, bthOffset);
        int payload = end - Icrc.BYTES - p - pad;
        if (payload < 0 || (!op.hasPayload() && (payload != 0 || pad != 0))) {
            return out.fail(DecodeStatus.BAD_LENGTH, op.hasPayload() ? pad : 0, op.hasPayload() ? end - Icrc.BYTES - p
                    : payload + pad);
        }
        out.payloadOffset = p;
        out.payloadLength = payload;
        out.padCount = pad;
        out.icrcOffset = end - Icrc.BYTES;
        return DecodeStatus.OK;
    }

    /**
     * The payload length of the packet in {@code [offset, offset + length)}, or -1 if its headers
     * are not a valid IBA packet; what a switch compares with a port's MTU. Allocates nothing and
     * does not check the ICRC. Thread-safe.
     */
    public static int payloadLength(ByteBuffer b, int offset, int length) {
        if (offset < 0 || length < MIN_PACKET_BYTES || offset > b.limit() - length) {
            return -1;
        }
        int lnh = Lrh.lnh(b, offset);
        int bth = offset + Lrh.BYTES;
        if (lnh == Lrh.LNH_IBA_GLOBAL) {
            bth += Grh.BYTES;
        } else if (lnh != Lrh.LNH_IBA_LOCAL) {
            return -1;
        }
        if (offset + length - bth < Bth.BYTES + Icrc.BYTES) {
            return -1;
        }
        OpCode op = OpCode.of(Bth.opcode(b, bth));
        if (op == null) {
            return -1;
        }
        int payload = offset + length - Icrc.BYTES - bth - Bth.BYTES - op.extendedHeaderBytes()
                - Bth.padCount(b, bth);
        return payload < 0 ? -1 : payload;
    }
}
