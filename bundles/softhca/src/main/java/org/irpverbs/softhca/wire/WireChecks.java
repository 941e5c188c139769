package org.irpverbs.softhca.wire;

/** Range checks shared by the header records' constructors. Thread-safe (stateless). */
final class WireChecks {
    private WireChecks() {}

    static void range(String field, long value, long max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(field + " must be 0.." + max + " (0x" + Long.toHexString(max) + "), was "
                    + value);
        }
    }
}
