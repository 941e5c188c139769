package org.irpverbs.ibal.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * IBAL's configured partition keys (the {@code partitionKeys} attribute of its configuration):
 * for each, every ACTIVE port whose P_Key table holds it gets a partition child besides its port
 * child, as WinOF's bus driver enumerates an IPoIB device per configured partition of a port.
 * <p>
 * A value is {@code 0x} and one to four hex digits. Refused, each with its reason: anything else;
 * the invalid P_Keys 0x0000 and 0x8000 (base 0, IBA 10.9.1.2); the default partition (base
 * 0x7FFF, i.e. 0xFFFF or 0x7FFF), which the port child itself stands for; and a key whose base
 * was given already (membership is the port's to say, not the configuration's). The good values
 * are used, the bad ones named together in {@link #problem()}.
 *
 * @param keys    the accepted P_Keys, in the order given
 * @param problem every refused value with its reason, or null if there is none
 */
record PartitionKeys(List<Integer> keys, String problem) {
    static final PartitionKeys NONE = new PartitionKeys(List.of(), null);
    /** The base (low 15 bits) of the default partition's P_Key. */
    static final int DEFAULT_BASE = 0x7FFF;
    /** The membership bit: set for a full member. */
    static final int FULL_MEMBER = 0x8000;

    PartitionKeys {
        keys = List.copyOf(keys);
    }

    /** Parses the configuration's values; null or empty means none. */
    static PartitionKeys parse(String[] values) {
        if (values == null || values.length == 0) {
            return NONE;
        }
        List<Integer> keys = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        for (String raw : values) {
            String v = raw == null ? "" : raw.trim();
            String why = null;
            int key = -1;
            if (!v.toLowerCase(Locale.ROOT).matches("0x[0-9a-f]{1,4}")) {
                why = "not 0x and 1 to 4 hex digits";
            } else {
                key = Integer.parseInt(v.substring(2), 16);
                int base = key & ~FULL_MEMBER;
                if (base == 0) {
                    why = "an invalid P_Key (base 0)";
                } else if (base == DEFAULT_BASE) {
                    why = "the default partition, which the port child serves";
                } else if (keys.stream().anyMatch(k -> (k & ~FULL_MEMBER) == base)) {
                    why = "a partition given already";
                }
            }
            if (why == null) {
                keys.add(key);
            } else {
                bad.add("'" + raw + "' (" + why + ")");
            }
        }
        return new PartitionKeys(keys, bad.isEmpty() ? null : "partitionKeys ignores " + String.join(", ", bad));
    }

    /**
     * The index in a port's P_Key table of the entry of {@code key}'s partition, or -1: the entry
     * whose base (low 15 bits) is the key's, a full-membership entry before a limited one (Linux's
     * {@code ib_find_pkey} chooses the same way).
     */
    static int indexIn(int[] table, int key) {
        int base = key & ~FULL_MEMBER;
        int limited = -1;
        for (int i = 0; i < table.length; i++) {
            if ((table[i] & ~FULL_MEMBER) == base) {
                if ((table[i] & FULL_MEMBER) != 0) {
                    return i;
                }
                if (limited < 0) {
                    limited = i;
                }
            }
        }
        return limited;
    }

    static String hex(int key) {
        return String.format("0x%04x", key);
    }
}
