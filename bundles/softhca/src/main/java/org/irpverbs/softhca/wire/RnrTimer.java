package org.irpverbs.softhca.wire;

/**
 * The 5-bit RNR NAK timer encoding (IBA 9.7.5.2.8, table 45): how long a requester waits after an
 * RNR NAK before it retries. Code 0 is the longest wait (655.36 ms), codes 1..31 run from 0.01 ms
 * to 491.52 ms.
 *
 * <p>Thread-safe: constants only.
 */
public final class RnrTimer {
    private RnrTimer() {}

    /** The waits for codes 0..31 in units of 100 ns (code 1: 0.01 ms = 100 units). */
    private static final int[] UNITS_100NS = {65536_00, 1_00, 2_00, 3_00, 4_00, 6_00, 8_00, 12_00, 16_00, 24_00,
        32_00, 48_00, 64_00, 96_00, 128_00, 192_00, 256_00, 384_00, 512_00, 768_00, 1024_00, 1536_00, 2048_00,
        3072_00, 4096_00, 6144_00, 8192_00, 12288_00, 16384_00, 24576_00, 32768_00, 49152_00};

    /**
     * The wait for a code, in nanoseconds (code 1 = 10 µs, code 0 = 655.36 ms).
     *
     * @throws IllegalArgumentException if the code is not 0..31
     */
    public static long nanos(int code) {
        WireChecks.range("RNR timer code", code, 31);
        return UNITS_100NS[code] * 100L;
    }
}
