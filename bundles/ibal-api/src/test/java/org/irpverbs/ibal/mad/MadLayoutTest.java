package org.irpverbs.ibal.mad;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.Test;

/**
 * The common MAD header and the 256-byte MAD against IBA 13.4.2 (Figure 144). The expected
 * bytes are written out by hand from the spec's figure, field by field, not produced by the
 * encoder under test.
 */
public class MadLayoutTest {
    /**
     * A SubnAdmGetTable(PathRecord) request as it appears on the wire: base version 1, class 0x03,
     * class version 2, method 0x12, status 0, class-specific 0, TID 0x123456789ABCDEF0,
     * attribute 0x0035, reserved 0, modifier 0.
     */
    static final String SA_GET_TABLE_PATH_RECORD = "01" + "03" + "02" + "12" + "0000" + "0000" + "123456789abcdef0"
            + "0035" + "0000" + "00000000";
    /**
     * A directed-route SubnGetResp(NodeInfo) on the return path: class 0x81, version 1, method
     * 0x81, status D bit + "invalid value" (0x801C), hop pointer 2, hop count 3 (class-specific
     * 0x0203), TID 0xFEDCBA9876543210, attribute 0x0011, modifier 0x80000001.
     */
    static final String DR_GET_RESP = "01" + "81" + "01" + "81" + "801c" + "0203" + "fedcba9876543210" + "0011"
            + "0000" + "80000001";

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    @Test
    public void theFieldOffsetsAreTheSpecs() {
        assertEquals(24, MadHeader.BYTES);
        assertEquals(0, MadHeader.OFFSET_BASE_VERSION);
        assertEquals(1, MadHeader.OFFSET_MGMT_CLASS);
        assertEquals(2, MadHeader.OFFSET_CLASS_VERSION);
        assertEquals(3, MadHeader.OFFSET_METHOD);
        assertEquals(4, MadHeader.OFFSET_STATUS);
        assertEquals(6, MadHeader.OFFSET_CLASS_SPECIFIC);
        assertEquals(8, MadHeader.OFFSET_TRANSACTION_ID);
        assertEquals(16, MadHeader.OFFSET_ATTRIBUTE_ID);
        assertEquals(18, MadHeader.OFFSET_RESERVED);
        assertEquals(20, MadHeader.OFFSET_ATTRIBUTE_MODIFIER);
        assertEquals(256, Mad.BYTES);
        assertEquals(24, Mad.DATA_OFFSET);
        assertEquals(232, Mad.DATA_BYTES);
    }

    @Test
    public void aRequestHeaderEncodesToTheHandWrittenCapture() {
        MadHeader h = MadHeader.request(ManagementClass.SUBN_ADM, 2, MadMethod.GET_TABLE, 0x123456789ABCDEF0L, 0x0035, 0);
        byte[] out = new byte[24];
        h.encode(ByteBuffer.wrap(out), 0);
        assertArrayEquals(hex(SA_GET_TABLE_PATH_RECORD), out);
        assertFalse(h.isResponse());
    }

    @Test
    public void theHandWrittenCapturesDecodeFieldByField() {
        MadHeader h = MadHeader.decode(ByteBuffer.wrap(hex(DR_GET_RESP)), 0);
        assertEquals(1, h.baseVersion());
        assertEquals(ManagementClass.SUBN_DIRECTED_ROUTE, h.mgmtClass());
        assertEquals(1, h.classVersion());
        assertEquals(MadMethod.GET_RESP, h.method());
        assertTrue(h.isResponse());
        assertEquals(MadStatus.DIRECTION | MadStatus.INVALID_FIELD, h.status());
        assertEquals(0x0203, h.classSpecific());
        assertEquals(0xFEDCBA9876543210L, h.transactionId());
        assertEquals(0x0011, h.attributeId());
        assertEquals(0x80000001L, h.attributeModifier());
        byte[] again = new byte[24];
        h.encode(ByteBuffer.wrap(again), 0);
        assertArrayEquals(hex(DR_GET_RESP), again);
    }

    @Test
    public void theReservedFieldIsWrittenAsZeroAndIgnoredWhenRead() {
        byte[] capture = hex(SA_GET_TABLE_PATH_RECORD);
        capture[18] = (byte) 0xAA;
        capture[19] = (byte) 0x55;
        MadHeader h = MadHeader.decode(ByteBuffer.wrap(capture), 0);
        byte[] out = new byte[24];
        h.encode(ByteBuffer.wrap(out), 0);
        assertArrayEquals(hex(SA_GET_TABLE_PATH_RECORD), out);
    }

    @Test
    public void aHeaderAtAnOffsetIgnoresThePositionAndByteOrder() {
        ByteBuffer b = ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.position(50);
        MadHeader.decode(ByteBuffer.wrap(hex(DR_GET_RESP)), 0).encode(b, 10);
        byte[] window = new byte[24];
        b.get(10, window);
        assertArrayEquals(hex(DR_GET_RESP), window);
        assertEquals(50, b.position());
        assertEquals(0xFEDCBA9876543210L, MadHeader.decode(b, 10).transactionId());
    }

    @Test
    public void aMadIsTheHeaderThenTheDataPaddedTo256Bytes() {
        byte[] data = {1, 2, 3};
        Mad m = Mad.of(MadHeader.decode(ByteBuffer.wrap(hex(SA_GET_TABLE_PATH_RECORD)), 0), data);
        byte[] wire = m.toBytes();
        assertEquals(256, wire.length);
        byte[] expected = new byte[256];
        System.arraycopy(hex(SA_GET_TABLE_PATH_RECORD), 0, expected, 0, 24);
        expected[24] = 1;
        expected[25] = 2;
        expected[26] = 3;
        assertArrayEquals(expected, wire);
        assertEquals(232, m.data().length);
        assertEquals(Mad.decode(expected), m);
    }

    @Test
    public void aResponseKeepsTheTidAndAttributeAndAnswersSetWithGetResp() {
        Mad set = Mad.of(MadHeader.request(ManagementClass.SUBN_ADM, 2, MadMethod.SET, 0x42, 0x0038, 7), new byte[] {9});
        Mad resp = set.response(MadStatus.INVALID_FIELD, null);
        assertEquals(MadMethod.GET_RESP, resp.header().method());
        assertEquals(MadStatus.INVALID_FIELD, resp.header().status());
        assertEquals(0x42, resp.header().transactionId());
        assertEquals(0x0038, resp.header().attributeId());
        assertEquals(7, resp.header().attributeModifier());
        assertEquals("the data is echoed", 9, resp.byteAt(24));
        assertEquals(MadMethod.GET_TABLE_RESP, MadMethod.responseTo(MadMethod.GET_TABLE));
        assertEquals(MadMethod.REPORT_RESP, MadMethod.responseTo(MadMethod.REPORT));
        assertEquals(MadMethod.DELETE_RESP, MadMethod.responseTo(MadMethod.DELETE));
    }

    @Test
    public void whichMethodsExpectAResponse() {
        for (int m : new int[] {MadMethod.GET, MadMethod.SET, MadMethod.REPORT, MadMethod.GET_TABLE,
            MadMethod.GET_TRACE_TABLE, MadMethod.GET_MULTI, MadMethod.DELETE}) {
            assertTrue("method 0x" + Integer.toHexString(m), MadMethod.expectsResponse(m));
        }
        for (int m : new int[] {MadMethod.SEND, MadMethod.TRAP, MadMethod.TRAP_REPRESS, MadMethod.GET_RESP,
            MadMethod.REPORT_RESP, MadMethod.GET_TABLE_RESP, 0x7F}) {
            assertFalse("method 0x" + Integer.toHexString(m), MadMethod.expectsResponse(m));
        }
    }

    @Test
    public void theStatusCodesAreTheSpecsBitFields() {
        assertEquals(0x0004, MadStatus.BAD_VERSION);
        assertEquals(0x0008, MadStatus.UNSUPPORTED_METHOD);
        assertEquals(0x000C, MadStatus.UNSUPPORTED_METHOD_ATTRIBUTE);
        assertEquals(0x001C, MadStatus.INVALID_FIELD);
        assertEquals("0x801C invalid attribute value", MadStatus.describe(0x801C));
        assertEquals("0x0001 busy", MadStatus.describe(MadStatus.BUSY));
    }

    @Test
    public void badInputGetsOneClearMessage() {
        assertEquals("mgmtClass must be 0..0xff, was 256", assertThrows(IllegalArgumentException.class,
                () -> new MadHeader(1, 256, 1, 1, 0, 0, 0, 0, 0)).getMessage());
        assertEquals("attributeModifier is 32 bits, was 0x100000000", assertThrows(IllegalArgumentException.class,
                () -> new MadHeader(1, 1, 1, 1, 0, 0, 0, 0, 1L << 32)).getMessage());
        assertEquals("a MAD is 256 bytes, was 255",
                assertThrows(IllegalArgumentException.class, () -> Mad.decode(new byte[255])).getMessage());
        assertEquals("a MAD carries at most 232 bytes after its header, was 233", assertThrows(
                IllegalArgumentException.class, () -> Mad.of(MadHeader.request(1, 1, 1, 0, 0, 0), new byte[233]))
                .getMessage());
        assertEquals("a MAD header needs 24 bytes at offset 4, the buffer has 20", assertThrows(
                IllegalArgumentException.class, () -> MadHeader.decode(ByteBuffer.allocate(24), 4)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MadAddress(0xC000, 1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new MadAgentSpec("x", 3, 2, java.util.Set.of(0x81), null));
        assertThrows(IllegalArgumentException.class, () -> new MadSend(
                Mad.of(MadHeader.request(3, 2, MadMethod.GET, 1, 0x35, 0), null), MadAddress.gsi(1), 0, 0));
    }
}
