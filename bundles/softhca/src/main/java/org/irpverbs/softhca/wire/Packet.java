package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * One whole IB packet as values: for tools, traces and tests. The data path does not create these;
 * it writes headers in place and reads them through a {@link PacketLayout}.
 *
 * <p>The extended headers present must be exactly those the opcode calls for, and the GRH must be
 * present exactly when the LRH's LNH is {@link Lrh#LNH_IBA_GLOBAL}. When encoding, the length
 * fields (LRH PktLen, GRH PayLen, BTH PadCnt) and the ICRC are computed from the contents; the
 * values in the records are ignored.
 *
 * <p>Thread-safe: immutable (the payload array is copied in and out).
 *
 * @param lrh          local route header
 * @param grh          global route header, or null
 * @param bth          base transport header
 * @param deth         or null
 * @param reth         or null
 * @param atomicEth    or null
 * @param aeth         or null
 * @param atomicAckEth or null
 * @param immDt        or null
 * @param payload      the payload (empty if none)
 */
public record Packet(Lrh lrh, Grh grh, Bth bth, Deth deth, Reth reth, AtomicEth atomicEth, Aeth aeth,
        AtomicAckEth atomicAckEth, ImmDt immDt, byte[] payload) {

    /**
     * The result of {@link #decode}: the packet, or why there is none.
     *
     * @param status OK or the reason
     * @param detail a sentence with the values found
     * @param packet the packet if OK, else null
     */
    public record Decoded(DecodeStatus status, String detail, Packet packet) {
        public boolean ok() {
            return status == DecodeStatus.OK;
        }
    }

    /**
     * @throws IllegalArgumentException if a header is missing, superfluous, or the opcode unknown
     */
    public Packet {
        Objects.requireNonNull(lrh, "lrh");
        Objects.requireNonNull(bth, "bth");
        payload = payload == null ? new byte[0] : payload.clone();
        OpCode op = OpCode.of(bth.opcode());
        if (op == null) {
            throw new IllegalArgumentException(String.format("unknown BTH opcode 0x%02X", bth.opcode()));
        }
        if ((lrh.lnh() == Lrh.LNH_IBA_GLOBAL) != (grh != null)) {
            throw new IllegalArgumentException("a GRH must be present exactly when LNH is IBA global (3), LNH was "
                    + lrh.lnh());
        }
        if (lrh.lnh() < Lrh.LNH_IBA_LOCAL) {
            throw new IllegalArgumentException("LNH must be IBA local (2) or global (3), was " + lrh.lnh());
        }
        need(op, OpCode.Headers.DETH, deth, "DETH");
        need(op, OpCode.Headers.RETH, reth, "RETH");
        need(op, OpCode.Headers.ATOMIC_ETH, atomicEth, "AtomicETH");
        need(op, OpCode.Headers.AETH, aeth, "AETH");
        need(op, OpCode.Headers.ATOMIC_ACK_ETH, atomicAckEth, "AtomicAckETH");
        need(op, OpCode.Headers.IMM, immDt, "ImmDt");
        if (!op.hasPayload() && payload.length > 0) {
            throw new IllegalArgumentException(op + " carries no payload");
        }
    }

    private static void need(OpCode op, int header, Object value, String name) {
        if (op.has(header) && value == null) {
            throw new IllegalArgumentException(op + " needs a " + name);
        }
        if (!op.has(header) && value != null) {
            throw new IllegalArgumentException(op + " does not carry a " + name);
        }
    }

    public OpCode opcode() {
        return OpCode.of(bth.opcode());
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    /** Bytes {@link #encode} writes. */
    public int encodedLength() {
        int n = Lrh.BYTES + (grh != null ? Grh.BYTES : 0) + Bth.BYTES + opcode().extendedHeaderBytes() + payload.length;
        return n + ((-n) & 3) + Icrc.BYTES;
    }

    /**
     * Writes the packet at {@code dst}'s position and advances it.
     *
     * @return bytes written
     * @throws java.nio.BufferOverflowException if {@code dst} has less than {@link #encodedLength()} remaining
     */
    public int encode(ByteBuffer dst) {
        int length = encodedLength();
        if (dst.remaining() < length) {
            throw new java.nio.BufferOverflowException();
        }
        ByteBuffer b = dst.duplicate().order(ByteOrder.BIG_ENDIAN);
        int start = dst.position();
        lrh.write(b, start);
        int p = start + Lrh.BYTES;
        if (grh != null) {
            grh.write(b, p);
            p += Grh.BYTES;
        }
        bth.write(b, p);
        p += Bth.BYTES;
        if (deth != null) {
            deth.write(b, p);
            p += Deth.BYTES;
        }
        if (reth != null) {
            reth.write(b, p);
            p += Reth.BYTES;
        }
        if (atomicEth != null) {
            atomicEth.write(b, p);
            p += AtomicEth.BYTES;
        }
        if (aeth != null) {
            aeth.write(b, p);
            p += Aeth.BYTES;
        }
        if (atomicAckEth != null) {
            atomicAckEth.write(b, p);
            p += AtomicAckEth.BYTES;
        }
        if (immDt != null) {
            immDt.write(b, p);
            p += ImmDt.BYTES;
        }
        b.put(p, payload, 0, payload.length);
        p += payload.length;
        int written = new PacketCodec().finish(b, start, p);
        dst.position(start + written);
        return written;
    }

    /** The packet as a new array. */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(encodedLength());
        encode(b);
        return b.array();
    }

    /**
     * Decodes the packet in {@code src}'s remaining bytes (position and limit are not moved). Never
     * throws for any content.
     */
    public static Decoded decode(ByteBuffer src) {
        ByteBuffer b = src.duplicate().order(ByteOrder.BIG_ENDIAN);
        PacketLayout l = new PacketLayout();
        DecodeStatus s = new PacketCodec().decode(b, b.position(), b.remaining(), l);
        if (s != DecodeStatus.OK) {
            return new Decoded(s, l.describe(), null);
        }
        byte[] payload = new byte[l.payloadLength];
        b.get(l.payloadOffset, payload, 0, payload.length);
        Packet p = new Packet(Lrh.read(b, l.lrhOffset), l.grhOffset < 0 ? null : Grh.read(b, l.grhOffset),
                Bth.read(b, l.bthOffset), l.dethOffset < 0 ? null : Deth.read(b, l.dethOffset),
                l.rethOffset < 0 ? null : Reth.read(b, l.rethOffset),
                l.atomicEthOffset < 0 ? null : AtomicEth.read(b, l.atomicEthOffset),
                l.aethOffset < 0 ? null : Aeth.read(b, l.aethOffset),
                l.atomicAckEthOffset < 0 ? null : AtomicAckEth.read(b, l.atomicAckEthOffset),
                l.immOffset < 0 ? null : ImmDt.read(b, l.immOffset), payload);
        return new Decoded(s, l.describe(), p);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Packet p && lrh.equals(p.lrh) && Objects.equals(grh, p.grh) && bth.equals(p.bth)
                && Objects.equals(deth, p.deth) && Objects.equals(reth, p.reth) && Objects.equals(atomicEth, p.atomicEth)
                && Objects.equals(aeth, p.aeth) && Objects.equals(atomicAckEth, p.atomicAckEth)
                && Objects.equals(immDt, p.immDt) && Arrays.equals(payload, p.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(lrh, grh, bth, deth, reth, atomicEth, aeth, atomicAckEth, immDt) * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return opcode() + " " + lrh + (grh != null ? " " + grh : "") + " " + bth + (deth != null ? " " + deth : "")
                + (reth != null ? " " + reth : "") + (atomicEth != null ? " " + atomicEth : "")
                + (aeth != null ? " " + aeth : "") + (atomicAckEth != null ? " " + atomicAckEth : "")
                + (immDt != null ? " " + immDt : "") + " payload " + payload.length + " B";
    }
}
