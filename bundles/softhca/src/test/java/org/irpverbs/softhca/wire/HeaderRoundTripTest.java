package org.irpverbs.softhca.wire;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import org.irpverbs.irp.BlockingDetector;
import org.junit.After;
import org.junit.Test;

/** Every header writes the IBA byte layout and reads back what it wrote. */
public class HeaderRoundTripTest {

    private static byte[] bytes(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.get(0, out, 0, n);
        return out;
    }

    @After
    public void noBlocking() {
        assertEquals(0, BlockingDetector.violationCount());
    }

    @Test
    public void lrhLayoutAndRoundTrip() {
        Lrh lrh = new Lrh(15, 0, 7, Lrh.LNH_IBA_LOCAL, 0x1234, 0x7FF, 0xBEEF);
        ByteBuffer b = ByteBuffer.allocate(Lrh.BYTES);
        lrh.write(b, 0);
        assertArrayEquals(new byte[] {(byte) 0xF0, 0x72, 0x12, 0x34, 0x07, (byte) 0xFF, (byte) 0xBE, (byte) 0xEF},
                bytes(b, 8));
        assertEquals(lrh, Lrh.read(b, 0));
        assertEquals(0, b.position());
        assertThrows(IllegalArgumentException.class, () -> new Lrh(16, 0, 0, 2, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new Lrh(0, 0, 0, 2, 1, 0x800, 1));
        assertTrue(Lrh.isMulticast(0xC000));
        assertTrue(Lrh.isMulticast(0xFFFE));
        assertFalse(Lrh.isMulticast(0xFFFF));
        assertTrue(Lrh.isUnicast(0xBFFF));
        assertFalse(Lrh.isUnicast(0));
    }

    @Test
    public void grhLayoutAndRoundTrip() {
        Gid sgid = Gid.linkLocal(0x0002C90300001234L);
        Gid dgid = new Gid(0xFF12401BFFFF0000L, 0x00000000FFFFFFFFL);
        Grh grh = new Grh(6, 0xAB, 0x12345, 1000, Grh.NEXT_HEADER_IBA, 64, sgid, dgid);
        ByteBuffer b = ByteBuffer.allocate(Grh.BYTES);
        grh.write(b, 0);
        byte[] raw = bytes(b, 8);
        assertArrayEquals(new byte[] {0x6A, (byte) 0xB1, 0x23, 0x45, 0x03, (byte) 0xE8, 0x1B, 0x40}, raw);
        assertEquals(grh, Grh.read(b, 0));
        assertEquals(sgid, Gid.read(b, 8));
        assertEquals(dgid, Gid.read(b, 24));
        assertTrue(dgid.isMulticast());
        assertFalse(sgid.isMulticast());
        assertEquals("fe80:0:0:0:2:c903:0:1234", sgid.toString());
        assertEquals(dgid, Gid.of(dgid.toBytes()));
        assertThrows(IllegalArgumentException.class, () -> Gid.of(new byte[15]));
        assertThrows(IllegalArgumentException.class, () -> new Grh(6, 0, 0x100000, 0, 0x1B, 0, sgid, dgid));
    }

    @Test
    public void bthLayoutAndRoundTrip() {
        Bth bth = new Bth(OpCode.RC_RDMA_WRITE_FIRST.code(), true, true, 3, 0, 0xFFFF, 0xABCDEF, true, 0x123456);
        ByteBuffer b = ByteBuffer.allocate(Bth.BYTES);
        bth.write(b, 0);
        assertArrayEquals(new byte[] {0x06, (byte) 0xF0, (byte) 0xFF, (byte) 0xFF, 0x00, (byte) 0xAB, (byte) 0xCD,
            (byte) 0xEF, (byte) 0x80, 0x12, 0x34, 0x56}, bytes(b, 12));
        assertEquals(bth, Bth.read(b, 0));
        Bth.setPadCount(b, 0, 1);
        assertEquals(1, Bth.padCount(b, 0));
        assertTrue(Bth.solicitedEvent(b, 0));
        assertThrows(IllegalArgumentException.class, () -> new Bth(0, false, false, 4, 0, 0, 0, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new Bth(0, false, false, 0, 0, 0, 0x1000000, false, 0));
    }

    @Test
    public void psnArithmeticWraps() {
        assertEquals(1, Bth.psnDiff(0, 0xFFFFFF));
        assertEquals(-1, Bth.psnDiff(0xFFFFFF, 0));
        assertEquals(0, Bth.psnAdd(0xFFFFFF, 1));
        assertEquals(0xFFFFFF, Bth.psnAdd(0, -1));
        assertEquals(-0x800000, Bth.psnDiff(0, 0x800000));
    }

    @Test
    public void rethDethImmAtomicRoundTrip() {
        ByteBuffer b = ByteBuffer.allocate(64);
        Reth reth = new Reth(0x1122334455667788L, 0xCAFEBABE, 65536);
        reth.write(b, 0);
        assertArrayEquals(new byte[] {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, (byte) 0x88, (byte) 0xCA, (byte) 0xFE,
            (byte) 0xBA, (byte) 0xBE, 0, 1, 0, 0}, bytes(b, 16));
        assertEquals(reth, Reth.read(b, 0));

        Deth deth = new Deth(0x80010000, 0x000123);
        deth.write(b, 0);
        assertArrayEquals(new byte[] {(byte) 0x80, 0x01, 0, 0, 0, 0, 0x01, 0x23}, bytes(b, 8));
        assertEquals(deth, Deth.read(b, 0));

        ImmDt imm = new ImmDt(0xDEADBEEF);
        imm.write(b, 0);
        assertArrayEquals(new byte[] {(byte) 0xDE, (byte) 0xAD, (byte) 0xBE, (byte) 0xEF}, bytes(b, 4));
        assertEquals(imm, ImmDt.read(b, 0));

        AtomicEth a = new AtomicEth(0x1000, 0x1234, 5, 7);
        a.write(b, 0);
        assertEquals(0x1000, b.getLong(0));
        assertEquals(0x1234, b.getInt(8));
        assertEquals(5, b.getLong(12));
        assertEquals(7, b.getLong(20));
        assertEquals(a, AtomicEth.read(b, 0));

        AtomicAckEth ack = new AtomicAckEth(-2);
        ack.write(b, 0);
        assertEquals(-2, b.getLong(0));
        assertEquals(ack, AtomicAckEth.read(b, 0));
    }

    @Test
    public void aethSyndromes() {
        ByteBuffer b = ByteBuffer.allocate(4);
        Aeth ack = Aeth.ack(0x123456);
        ack.write(b, 0);
        assertArrayEquals(new byte[] {0x1F, 0x12, 0x34, 0x56}, bytes(b, 4));
        assertEquals(ack, Aeth.read(b, 0));
        assertSame(Aeth.Type.ACK, ack.type());
        Aeth rnr = Aeth.rnrNak(14, 1);
        assertEquals(0x2E, rnr.syndrome());
        assertSame(Aeth.Type.RNR_NAK, rnr.type());
        assertEquals(14, rnr.value());
        for (int code : new int[] {Aeth.NAK_PSN_SEQUENCE_ERROR, Aeth.NAK_INVALID_REQUEST, Aeth.NAK_REMOTE_ACCESS_ERROR,
            Aeth.NAK_REMOTE_OPERATIONAL_ERROR}) {
            Aeth nak = Aeth.nak(code, 9);
            nak.write(b, 0);
            Aeth back = Aeth.read(b, 0);
            assertSame(Aeth.Type.NAK, back.type());
            assertEquals(code, back.value());
            assertEquals(0x60 | code, b.get(0) & 0xFF);
        }
        assertSame(Aeth.Type.RESERVED, Aeth.type(0x40));
    }

    @Test
    public void rnrTimerTable() {
        assertEquals(655_360_000L, RnrTimer.nanos(0));
        assertEquals(10_000L, RnrTimer.nanos(1));
        assertEquals(1_280_000L, RnrTimer.nanos(14));
        assertEquals(491_520_000L, RnrTimer.nanos(31));
        assertThrows(IllegalArgumentException.class, () -> RnrTimer.nanos(32));
    }

    @Test
    public void opcodesHaveTheirIbaValuesAndHeaders() {
        int[][] expected = {{0x00, 0}, {0x01, 0}, {0x02, 0}, {0x03, 4}, {0x04, 0}, {0x05, 4}, {0x06, 16}, {0x07, 0},
            {0x08, 0}, {0x09, 4}, {0x0A, 16}, {0x0B, 20}, {0x0C, 16}, {0x0D, 4}, {0x0E, 0}, {0x0F, 4}, {0x10, 4},
            {0x11, 4}, {0x12, 12}, {0x13, 28}, {0x14, 28}, {0x64, 8}, {0x65, 12}};
        OpCode[] all = OpCode.values();
        assertEquals(expected.length, all.length);
        for (int i = 0; i < all.length; i++) {
            assertEquals(all[i].name(), expected[i][0], all[i].code());
            assertEquals(all[i].name(), expected[i][1], all[i].extendedHeaderBytes());
            assertSame(all[i], OpCode.of(expected[i][0]));
        }
        assertNull(OpCode.of(0x15));
        assertNull(OpCode.of(0x2A));
        assertNull(OpCode.of(-1));
        assertTrue(OpCode.UD_SEND_ONLY.isUd());
        assertFalse(OpCode.UD_SEND_ONLY.isRc());
        assertTrue(OpCode.RC_RDMA_READ_RESPONSE_MIDDLE.isResponse());
        assertFalse(OpCode.RC_RDMA_READ_REQUEST.hasPayload());
        assertTrue(OpCode.RC_SEND_ONLY.isFirst() && OpCode.RC_SEND_ONLY.isLast());
        assertFalse(OpCode.RC_SEND_MIDDLE.isFirst() || OpCode.RC_SEND_MIDDLE.isLast());
    }
}
