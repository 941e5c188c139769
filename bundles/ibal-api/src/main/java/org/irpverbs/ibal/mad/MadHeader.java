package org.irpverbs.ibal.mad;

import java.nio.ByteBuffer;

/**
 * The common MAD header, the first 24 bytes of every MAD (IBA 13.4.2, Figure 144), big-endian:
 * <pre>
 *  byte  0      BaseVersion          (1)
 *  byte  1      MgmtClass
 *  byte  2      ClassVersion
 *  byte  3      R (bit 7) | Method (bits 6..0)
 *  bytes 4..5   Status               (13.4.7; for directed-route SMPs bit 15 is the D bit)
 *  bytes 6..7   ClassSpecific        (directed-route SMPs: HopPointer, HopCount)
 *  bytes 8..15  TransactionID
 *  bytes 16..17 AttributeID
 *  bytes 18..19 Reserved             (written as 0, ignored when read)
 *  bytes 20..23 AttributeModifier
 * </pre>
 * {@link #method()} is the whole byte 3, response bit included, as the wire has it.
 *
 * <p>Immutable and thread-safe. The constructor refuses a value that does not fit its field
 * with an {@link IllegalArgumentException} naming the field.
 *
 * @param baseVersion       8 bits; 1 for IBA MADs
 * @param mgmtClass         8 bits ({@link ManagementClass})
 * @param classVersion      8 bits
 * @param method            8 bits: the method with the response bit {@link MadMethod#RESPONSE}
 * @param status            16 bits ({@link MadStatus})
 * @param classSpecific     16 bits
 * @param transactionId     64 bits
 * @param attributeId       16 bits
 * @param attributeModifier 32 bits, as an unsigned value in a long
 */
public record MadHeader(int baseVersion, int mgmtClass, int classVersion, int method, int status, int classSpecific,
        long transactionId, int attributeId, long attributeModifier) {
    /** Header length on the wire. */
    public static final int BYTES = 24;
    public static final int OFFSET_BASE_VERSION = 0;
    public static final int OFFSET_MGMT_CLASS = 1;
    public static final int OFFSET_CLASS_VERSION = 2;
    public static final int OFFSET_METHOD = 3;
    public static final int OFFSET_STATUS = 4;
    public static final int OFFSET_CLASS_SPECIFIC = 6;
    public static final int OFFSET_TRANSACTION_ID = 8;
    public static final int OFFSET_ATTRIBUTE_ID = 16;
    public static final int OFFSET_RESERVED = 18;
    public static final int OFFSET_ATTRIBUTE_MODIFIER = 20;
    /** The one base version IBA 1.x defines. */
    public static final int BASE_VERSION = 1;

    public MadHeader {
        check("baseVersion", baseVersion, 0xFF);
        check("mgmtClass", mgmtClass, 0xFF);
        check("classVersion", classVersion, 0xFF);
        check("method", method, 0xFF);
        check("status", status, 0xFFFF);
        check("classSpecific", classSpecific, 0xFFFF);
        check("attributeId", attributeId, 0xFFFF);
        if (attributeModifier < 0 || attributeModifier > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("attributeModifier is 32 bits, was 0x" + Long.toHexString(attributeModifier));
        }
    }

    private static void check(String field, int value, int max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(field + " must be 0..0x" + Integer.toHexString(max) + ", was " + value);
        }
    }

    /** A request header: base version 1, status and class-specific 0. */
    public static MadHeader request(int mgmtClass, int classVersion, int method, long transactionId, int attributeId,
            long attributeModifier) {
        return new MadHeader(BASE_VERSION, mgmtClass, classVersion, method, 0, 0, transactionId, attributeId,
                attributeModifier);
    }

    /** Whether the response bit (bit 7 of the method byte) is set. */
    public boolean isResponse() {
        return (method & MadMethod.RESPONSE) != 0;
    }

    /** This header with another method byte. */
    public MadHeader withMethod(int newMethod) {
        return new MadHeader(baseVersion, mgmtClass, classVersion, newMethod, status, classSpecific, transactionId,
                attributeId, attributeModifier);
    }

    /** This header with another status. */
    public MadHeader withStatus(int newStatus) {
        return new MadHeader(baseVersion, mgmtClass, classVersion, method, newStatus, classSpecific, transactionId,
                attributeId, attributeModifier);
    }

    /** This header with another transaction ID. */
    public MadHeader withTransactionId(long newTransactionId) {
        return new MadHeader(baseVersion, mgmtClass, classVersion, method, status, classSpecific, newTransactionId,
                attributeId, attributeModifier);
    }

    /** Writes the 24 bytes at {@code offset} (absolute; the buffer's position and byte order are not used). */
    public void encode(ByteBuffer b, int offset) {
        if (offset < 0 || b.limit() - offset < BYTES) {
            throw new IllegalArgumentException("a MAD header needs " + BYTES + " bytes at offset " + offset + ", the buffer has "
                    + Math.max(0, b.limit() - offset));
        }
        b.put(offset + OFFSET_BASE_VERSION, (byte) baseVersion);
        b.put(offset + OFFSET_MGMT_CLASS, (byte) mgmtClass);
        b.put(offset + OFFSET_CLASS_VERSION, (byte) classVersion);
        b.put(offset + OFFSET_METHOD, (byte) method);
        putShort(b, offset + OFFSET_STATUS, status);
        putShort(b, offset + OFFSET_CLASS_SPECIFIC, classSpecific);
        for (int i = 0; i < 8; i++) {
            b.put(offset + OFFSET_TRANSACTION_ID + i, (byte) (transactionId >>> (56 - 8 * i)));
        }
        putShort(b, offset + OFFSET_ATTRIBUTE_ID, attributeId);
        putShort(b, offset + OFFSET_RESERVED, 0);
        for (int i = 0; i < 4; i++) {
            b.put(offset + OFFSET_ATTRIBUTE_MODIFIER + i, (byte) (attributeModifier >>> (24 - 8 * i)));
        }
    }

    /** Reads the 24 bytes at {@code offset}; any bit pattern is a header (validation is the receiver's). */
    public static MadHeader decode(ByteBuffer b, int offset) {
        if (offset < 0 || b.limit() - offset < BYTES) {
            throw new IllegalArgumentException("a MAD header needs " + BYTES + " bytes at offset " + offset + ", the buffer has "
                    + Math.max(0, b.limit() - offset));
        }
        long tid = 0;
        for (int i = 0; i < 8; i++) {
            tid = (tid << 8) | (b.get(offset + OFFSET_TRANSACTION_ID + i) & 0xFF);
        }
        long modifier = 0;
        for (int i = 0; i < 4; i++) {
            modifier = (modifier << 8) | (b.get(offset + OFFSET_ATTRIBUTE_MODIFIER + i) & 0xFF);
        }
        return new MadHeader(b.get(offset + OFFSET_BASE_VERSION) & 0xFF, b.get(offset + OFFSET_MGMT_CLASS) & 0xFF,
                b.get(offset + OFFSET_CLASS_VERSION) & 0xFF, b.get(offset + OFFSET_METHOD) & 0xFF,
                getShort(b, offset + OFFSET_STATUS), getShort(b, offset + OFFSET_CLASS_SPECIFIC), tid,
                getShort(b, offset + OFFSET_ATTRIBUTE_ID), modifier);
    }

    private static void putShort(ByteBuffer b, int at, int v) {
        b.put(at, (byte) (v >>> 8));
        b.put(at + 1, (byte) v);
    }

    private static int getShort(ByteBuffer b, int at) {
        return ((b.get(at) & 0xFF) << 8) | (b.get(at + 1) & 0xFF);
    }

    @Override
    public String toString() {
        return String.format("MAD[v%d class 0x%02X v%d method 0x%02X status 0x%04X tid 0x%016X attr 0x%04X mod 0x%X]",
                baseVersion, mgmtClass, classVersion, method, status, transactionId, attributeId, attributeModifier);
    }
}
