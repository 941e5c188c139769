package org.irpverbs.softhca.wire;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import org.irpverbs.irp.BlockingDetector;
import org.junit.After;
import org.junit.Test;

/** Whole packets: encode, decode, the ICRC's masking, and every way a packet can be malformed. */
public class PacketCodecTest {
    private static final Lrh LOCAL = new Lrh(0, 0, 3, Lrh.LNH_IBA_LOCAL, 2, 0, 1);
    private static final Lrh GLOBAL = new Lrh(0, 0, 3, Lrh.LNH_IBA_GLOBAL, 0xC001, 0, 1);
    private static final Grh GRH = Grh.of(Gid.linkLocal(0x1111), new Gid(0xFF12401BFFFF0000L, 0xC001), 0);

    private static Bth bth(OpCode op) {
        return new Bth(op.code(), false, true, 0, 0, 0xFFFF, 0x42, true, 100);
    }

    private static byte[] payload(int n) {
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte) (i * 7 + 1);
        }
        return p;
    }

    private static Packet roundTrip(Packet p) {
        byte[] wire = p.toBytes();
        assertEquals(p.encodedLength(), wire.length);
        assertEquals(0, wire.length % 4);
        Packet.Decoded d = Packet.decode(ByteBuffer.wrap(wire));
        assertTrue(d.detail(), d.ok());
        Packet back = d.packet();
        assertEquals(wire.length / 4, back.lrh().packetLength());
        assertEquals(p.opcode(), back.opcode());
        assertArrayEquals(p.payload(), back.payload());
        assertEquals(p.reth(), back.reth());
        assertEquals(p.deth(), back.deth());
        assertEquals(p.aeth(), back.aeth());
        assertEquals(p.atomicEth(), back.atomicEth());
        assertEquals(p.atomicAckEth(), back.atomicAckEth());
        assertEquals(p.immDt(), back.immDt());
        assertEquals(p.bth().psn(), back.bth().psn());
        assertEquals(p.lrh().dlid(), back.lrh().dlid());
        return back;
    }

    @After
    public void noBlocking() {
        assertEquals(0, BlockingDetector.violationCount());
    }

    @Test
    public void everyOpcodeRoundTrips() {
        for (OpCode op : OpCode.values()) {
            Reth reth = op.has(OpCode.Headers.RETH) ? new Reth(0x1000, 0x2233, 4096) : null;
            Deth deth = op.has(OpCode.Headers.DETH) ? new Deth(0x11111111, 7) : null;
            AtomicEth atomic = op.has(OpCode.Headers.ATOMIC_ETH) ? new AtomicEth(0x2000, 5, 1, 2) : null;
            Aeth aeth = op.has(OpCode.Headers.AETH) ? Aeth.ack(3) : null;
            AtomicAckEth ack = op.has(OpCode.Headers.ATOMIC_ACK_ETH) ? new AtomicAckEth(99) : null;
            ImmDt imm = op.hasImmediate() ? new ImmDt(0x01020304) : null;
            for (int len : op.hasPayload() ? new int[] {0, 1, 2, 3, 4, 255, 2048} : new int[] {0}) {
                Packet p = new Packet(LOCAL, null, bth(op), deth, reth, atomic, aeth, ack, imm, payload(len));
                Packet back = roundTrip(p);
                assertEquals(op.name() + " " + len, (4 - len % 4) % 4, back.bth().padCount());
            }
        }
    }

    @Test
    public void globalPacketCarriesGrhWithPayloadLength() {
        Packet p = new Packet(GLOBAL, GRH, new Bth(OpCode.UD_SEND_ONLY.code(), false, true, 0, 0, 0xFFFF, Bth.MULTICAST_QPN,
                false, 1), new Deth(0x80010000, 9), null, null, null, null, null, payload(100));
        Packet back = roundTrip(p);
        assertEquals(GRH.sgid(), back.grh().sgid());
        assertEquals(GRH.dgid(), back.grh().dgid());
        assertEquals(p.encodedLength() - Lrh.BYTES - Grh.BYTES, back.grh().payloadLength());
    }

    @Test
    public void packetRejectsWrongHeaderSets() {
        assertThrows(IllegalArgumentException.class, () -> new Packet(LOCAL, null, bth(OpCode.RC_RDMA_WRITE_ONLY), null,
                null, null, null, null, null, payload(4)));
        assertThrows(IllegalArgumentException.class, () -> new Packet(LOCAL, null, bth(OpCode.RC_SEND_ONLY), null,
                new Reth(0, 0, 0), null, null, null, null, payload(4)));
        assertThrows(IllegalArgumentException.class, () -> new Packet(LOCAL, GRH, bth(OpCode.RC_SEND_ONLY), null,
                null, null, null, null, null, payload(4)));
        assertThrows(IllegalArgumentException.class, () -> new Packet(LOCAL, null, bth(OpCode.RC_ACKNOWLEDGE), null,
                null, null, Aeth.ack(0), null, null, payload(4)));
        assertThrows(IllegalArgumentException.class, () -> new Packet(LOCAL, null,
                new Bth(0x15, false, false, 0, 0, 0, 0, false, 0), null, null, null, null, null, null, null));
    }

    private static byte[] sendOnly(int len) {
        return new Packet(LOCAL, null, bth(OpCode.RC_SEND_ONLY), null, null, null, null, null, null, payload(len))
                .toBytes();
    }

    private static Packet.Decoded decode(byte[] wire) {
        return Packet.decode(ByteBuffer.wrap(wire));
    }

    /** Re-seals a tampered packet so that only the tampered field is wrong, not the ICRC. */
    private static byte[] reseal(byte[] wire) {
        ByteBuffer b = ByteBuffer.wrap(wire);
        Icrc.write(b, wire.length - 4, new Icrc().compute(b, 0, wire.length - 4));
        return wire;
    }

    @Test
    public void truncatedPacket() {
        byte[] wire = sendOnly(16);
        byte[] cut = java.util.Arrays.copyOf(wire, 16);
        Packet.Decoded d = decode(cut);
        assertSame(DecodeStatus.TRUNCATED, d.status());
        assertNull(d.packet());
        assertTrue(d.detail(), d.detail().contains("at least"));
        assertSame(DecodeStatus.TRUNCATED, decode(new byte[0]).status());
    }

    @Test
    public void lengthFieldsThatDisagree() {
        byte[] wire = sendOnly(16);
        // the buffer holds 4 more bytes than PktLen says
        byte[] longer = java.util.Arrays.copyOf(wire, wire.length + 4);
        assertSame(DecodeStatus.BAD_LENGTH, decode(longer).status());
        // PktLen says more than there is
        byte[] bad = wire.clone();
        Lrh.setPacketLength(ByteBuffer.wrap(bad), 0, wire.length / 4 + 1);
        assertSame(DecodeStatus.BAD_LENGTH, decode(bad).status());
        // a PadCnt larger than the payload
        byte[] noPayload = sendOnly(0);
        Bth.setPadCount(ByteBuffer.wrap(noPayload), Lrh.BYTES, 3);
        assertSame(DecodeStatus.BAD_LENGTH, decode(reseal(noPayload)).status());
        // padding on an opcode without payload
        byte[] ack = new Packet(LOCAL, null, bth(OpCode.RC_ACKNOWLEDGE), null, null, null, Aeth.ack(1), null, null, null)
                .toBytes();
        Bth.setPadCount(ByteBuffer.wrap(ack), Lrh.BYTES, 2);
        assertSame(DecodeStatus.BAD_LENGTH, decode(reseal(ack)).status());
        // a GRH PayLen that disagrees
        byte[] global = new Packet(GLOBAL, GRH, new Bth(OpCode.UD_SEND_ONLY.code(), false, true, 0, 0, 0xFFFF,
                Bth.MULTICAST_QPN, false, 1), new Deth(1, 2), null, null, null, null, null, payload(8)).toBytes();
        Grh.setPayloadLength(ByteBuffer.wrap(global), Lrh.BYTES, 12);
        assertSame(DecodeStatus.BAD_LENGTH, decode(reseal(global)).status());
    }

    @Test
    public void badIcrc() {
        byte[] wire = sendOnly(64);
        wire[Lrh.BYTES + Bth.BYTES + 10] ^= 0x01;
        Packet.Decoded d = decode(wire);
        assertSame(DecodeStatus.BAD_ICRC, d.status());
        assertTrue(d.detail(), d.detail().contains("computed"));
        byte[] icrcFlip = sendOnly(64);
        icrcFlip[icrcFlip.length - 1] ^= (byte) 0x80;
        assertSame(DecodeStatus.BAD_ICRC, decode(icrcFlip).status());
    }

    @Test
    public void unknownOpcode() {
        byte[] wire = sendOnly(8);
        wire[Lrh.BYTES] = 0x15; // reserved RC opcode
        Packet.Decoded d = decode(reseal(wire));
        assertSame(DecodeStatus.UNKNOWN_OPCODE, d.status());
        assertTrue(d.detail(), d.detail().contains("0x15"));
        wire[Lrh.BYTES] = 0x20; // UC SEND FIRST: UC is not modelled
        assertSame(DecodeStatus.UNKNOWN_OPCODE, decode(reseal(wire)).status());
    }

    @Test
    public void versionsAndLinkNextHeader() {
        byte[] wire = sendOnly(8);
        wire[0] = 0x01; // LVer 1
        assertSame(DecodeStatus.BAD_LINK_VERSION, decode(reseal(wire)).status());
        wire = sendOnly(8);
        wire[1] = (byte) (wire[1] & ~3); // LNH raw
        assertSame(DecodeStatus.UNSUPPORTED_LNH, decode(wire).status());
        wire = sendOnly(8);
        wire[Lrh.BYTES + 1] |= 0x01; // TVer 1
        assertSame(DecodeStatus.BAD_TRANSPORT_VERSION, decode(reseal(wire)).status());
        byte[] global = new Packet(GLOBAL, GRH, new Bth(OpCode.UD_SEND_ONLY.code(), false, true, 0, 0, 0xFFFF, 1, false, 1),
                new Deth(1, 2), null, null, null, null, null, payload(8)).toBytes();
        byte[] v4 = global.clone();
        v4[Lrh.BYTES] = (byte) ((4 << 4) | (v4[Lrh.BYTES] & 0xF));
        assertSame(DecodeStatus.BAD_GRH, decode(reseal(v4)).status());
        byte[] nxt = global.clone();
        nxt[Lrh.BYTES + 6] = 17; // UDP
        assertSame(DecodeStatus.BAD_GRH, decode(reseal(nxt)).status());
    }

    @Test
    public void icrcMasksTheVariantFieldsOnly() {
        byte[] wire = sendOnly(32);
        byte[] vl = wire.clone();
        vl[0] = (byte) 0x70; // VL 7
        assertTrue(decode(vl).ok());
        byte[] resv = wire.clone();
        resv[Lrh.BYTES + 4] = 0x5A; // BTH Resv8a
        assertTrue(decode(resv).ok());
        byte[] sl = wire.clone();
        sl[1] = (byte) ((9 << 4) | (sl[1] & 0xF)); // SL is invariant in a local packet
        assertSame(DecodeStatus.BAD_ICRC, decode(sl).status());
        byte[] dlid = wire.clone();
        dlid[3] ^= 1;
        assertSame(DecodeStatus.BAD_ICRC, decode(dlid).status());

        byte[] global = new Packet(GLOBAL, GRH, new Bth(OpCode.UD_SEND_ONLY.code(), false, true, 0, 0, 0xFFFF, 1, false, 1),
                new Deth(1, 2), null, null, null, null, null, payload(20)).toBytes();
        byte[] g = global.clone();
        g[3] ^= 0x55; // the whole LRH is variant in a global packet (routers rewrite it)
        g[1] = (byte) ((5 << 4) | (g[1] & 0xF));
        g[Lrh.BYTES] = (byte) 0x6F; // TClass high nibble
        g[Lrh.BYTES + 2] = 0x11; // FlowLabel
        g[Lrh.BYTES + 7] = 3; // HopLmt
        assertTrue(decode(g).ok());
        byte[] sgid = global.clone();
        sgid[Lrh.BYTES + 20] ^= 1;
        assertSame(DecodeStatus.BAD_ICRC, decode(sgid).status());
    }

    @Test
    public void icrcIsTheSameOverDirectBuffers() {
        byte[] wire = sendOnly(333);
        ByteBuffer direct = ByteBuffer.allocateDirect(wire.length + 8);
        direct.put(4, wire, 0, wire.length);
        direct.position(2).limit(wire.length + 6);
        PacketLayout l = new PacketLayout();
        assertSame(DecodeStatus.OK, new PacketCodec().decode(direct, 4, wire.length, l));
        assertEquals(2, direct.position());
        assertEquals(wire.length + 6, direct.limit());
        assertEquals(333, l.payloadLength);
        assertEquals(4 + Lrh.BYTES + Bth.BYTES, l.payloadOffset);
    }

    @Test
    public void transportPartDecodesOnItsOwn() {
        byte[] wire = new Packet(LOCAL, null, bth(OpCode.RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE), null, new Reth(1, 2, 3), null,
                null, null, new ImmDt(4), payload(3)).toBytes();
        PacketLayout l = new PacketLayout();
        assertSame(DecodeStatus.OK, PacketCodec.decodeTransport(ByteBuffer.wrap(wire), Lrh.BYTES, wire.length, l));
        assertSame(OpCode.RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE, l.opcode);
        assertEquals(Lrh.BYTES + Bth.BYTES, l.rethOffset);
        assertEquals(Lrh.BYTES + Bth.BYTES + Reth.BYTES, l.immOffset);
        assertEquals(3, l.payloadLength);
        assertEquals(1, l.padCount);
        assertEquals(3, PacketCodec.payloadLength(ByteBuffer.wrap(wire), 0, wire.length));
        assertEquals(-1, PacketCodec.payloadLength(ByteBuffer.wrap(wire), 0, 10));
        // the RoCEv2 form: a masked prefix in place of the LRH, same transport bytes
        byte[] prefix = new byte[8];
        java.util.Arrays.fill(prefix, (byte) 0xFF);
        int roce = new Icrc().computeTransport(prefix, 8, ByteBuffer.wrap(wire), Lrh.BYTES, wire.length - 4);
        assertNotNull(Integer.valueOf(roce));
    }

    @Test
    public void garbageNeverThrows() {
        Random r = new Random(42);
        PacketCodec codec = new PacketCodec();
        PacketLayout l = new PacketLayout();
        byte[] good = sendOnly(40);
        for (int i = 0; i < 20_000; i++) {
            byte[] junk;
            if (i % 2 == 0) {
                junk = new byte[r.nextInt(120)];
                r.nextBytes(junk);
                if (junk.length > 8) {
                    junk[1] = (byte) (r.nextBoolean() ? 2 : 3);
                    Lrh.setPacketLength(ByteBuffer.wrap(junk), 0, junk.length / 4);
                }
            } else {
                junk = good.clone();
                junk[r.nextInt(junk.length)] ^= (byte) (1 + r.nextInt(255));
            }
            DecodeStatus s = codec.decode(ByteBuffer.wrap(junk), 0, junk.length, l);
            assertNotNull(s);
            PacketCodec.payloadLength(ByteBuffer.wrap(junk), 0, junk.length);
            Packet.decode(ByteBuffer.wrap(junk));
        }
        assertSame(DecodeStatus.TRUNCATED, codec.decode(ByteBuffer.wrap(good), 8, good.length, l));
        assertSame(DecodeStatus.TRUNCATED, codec.decode(ByteBuffer.wrap(good), -1, 4, l));
    }
}
