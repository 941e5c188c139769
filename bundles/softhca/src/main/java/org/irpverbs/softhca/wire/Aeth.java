package org.irpverbs.softhca.wire;

import java.nio.ByteBuffer;

/**
 * ACK Extended Transport Header (IBA 9.3.6), 4 bytes: Syndrome(8) | MSN(24). The syndrome
 * (IBA 9.7.5.2.x, table 42) is
 * <pre>
 *  bit 7: reserved (0)   bits 6-5: 00 ACK, 01 RNR NAK, 10 reserved, 11 NAK   bits 4-0: value
 * </pre>
 * where the value is the end-to-end credit count for an ACK ({@link #CREDITS_INVALID}: the soft
 * HCA does not model end-to-end flow control credits), the RNR timer code for an RNR NAK
 * ({@link RnrTimer}), or the NAK code. MSN is the responder's message sequence number.
 *
 * <p>Thread-safe: immutable.
 *
 * @param syndrome the 8-bit syndrome
 * @param msn      the 24-bit message sequence number
 */
public record Aeth(int syndrome, int msn) {
    public static final int BYTES = 4;

    /** What kind of acknowledgement a syndrome carries. */
    public enum Type {
        ACK, RNR_NAK, RESERVED, NAK
    }

    /** Credit count meaning "no credits advertised" (IBA 9.7.7.2). */
    public static final int CREDITS_INVALID = 0x1F;
    public static final int NAK_PSN_SEQUENCE_ERROR = 0;
    public static final int NAK_INVALID_REQUEST = 1;
    public static final int NAK_REMOTE_ACCESS_ERROR = 2;
    public static final int NAK_REMOTE_OPERATIONAL_ERROR = 3;
    public static final int NAK_INVALID_RD_REQUEST = 4;

    /**
     * @throws IllegalArgumentException naming the field out of range
     */
    public Aeth {
        WireChecks.range("Syndrome", syndrome, 0xFF);
        WireChecks.range("MSN", msn, 0xFFFFFF);
    }

    public static Aeth ack(int msn) {
        return new Aeth(ackSyndrome(), msn);
    }

    public static Aeth rnrNak(int timerCode, int msn) {
        return new Aeth(rnrNakSyndrome(timerCode), msn);
    }

    public static Aeth nak(int code, int msn) {
        return new Aeth(nakSyndrome(code), msn);
    }

    public static int ackSyndrome() {
        return CREDITS_INVALID;
    }

    public static int rnrNakSyndrome(int timerCode) {
        return 0x20 | (timerCode & 0x1F);
    }

    public static int nakSyndrome(int code) {
        return 0x60 | (code & 0x1F);
    }

    public Type type() {
        return type(syndrome);
    }

    /** The credit count, RNR timer code or NAK code. */
    public int value() {
        return syndrome & 0x1F;
    }

    public static Type type(int syndrome) {
        return switch ((syndrome >> 5) & 3) {
            case 0 -> Type.ACK;
            case 1 -> Type.RNR_NAK;
            case 2 -> Type.RESERVED;
            default -> Type.NAK;
        };
    }

    public void write(ByteBuffer b, int off) {
        write(b, off, syndrome, msn);
    }

    public static void write(ByteBuffer b, int off, int syndrome, int msn) {
        b.putInt(off, ((syndrome & 0xFF) << 24) | (msn & 0xFFFFFF));
    }

    public static Aeth read(ByteBuffer b, int off) {
        return new Aeth(syndrome(b, off), msn(b, off));
    }

    public static int syndrome(ByteBuffer b, int off) {
        return b.get(off) & 0xFF;
    }

    public static int msn(ByteBuffer b, int off) {
        return b.getInt(off) & 0xFFFFFF;
    }
}
