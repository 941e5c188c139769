package org.irpverbs.hca.bus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.verbs.Mtu;

/**
 * Reads one soft HCA's hardware from a ConfigAdmin factory configuration (factory PID
 * {@value #FACTORY_PID}), validating every property with a message that names it. Values may be
 * strings (FileInstall {@code .cfg} files) or numbers.
 * <table>
 * <caption>properties</caption>
 * <tr><td>name</td><td>required: the HCA's name, e.g. {@code hca2}</td></tr>
 * <tr><td>model</td><td>required: MT23108, MT25208 or MT25204</td></tr>
 * <tr><td>ports</td><td>1 or 2 (default: as many as portLids lists, else 2)</td></tr>
 * <tr><td>onCardMemoryMiB</td><td>Tavor-mode context memory, 1..4096 (default 128)</td></tr>
 * <tr><td>logMaxOutstanding</td><td>log2 of the commands the firmware takes at once, 0..8 (default 4)</td></tr>
 * <tr><td>latencyA, latencyB, latencyC</td><td>command latencies per class in µs (default 10, 100, 1000)</td></tr>
 * <tr><td>nodeGuid</td><td>hex, with or without 0x (default: from the name, {@link #defaultNodeGuid})</td></tr>
 * <tr><td>portLids</td><td>one LID per port, e.g. {@code 5,6}; 0 = none until a subnet manager assigns one</td></tr>
 * <tr><td>mtu</td><td>256, 512, 1024, 2048 or 4096 (default 2048)</td></tr>
 * <tr><td>maxQp, maxCq, maxMpt, maxMtt, maxMcg</td><td>the profile (defaults 64K, 64K, 128K, 1M, 8K)</td></tr>
 * </table>
 * Any other key is an error that names it, except the ones ConfigAdmin and FileInstall add
 * ({@code service.*}, {@code felix.fileinstall.*}): a misspelt key would otherwise leave its
 * property at the default without a word.
 * Thread-safe (static, pure).
 */
final class HardwareConfigurations {
    static final String FACTORY_PID = "org.irpverbs.hca.hardware";

    /** The keys a configuration may have (besides the ones ConfigAdmin and FileInstall add). */
    static final Set<String> KEYS = Collections.unmodifiableSet(new TreeSet<>(List.of("name", "model", "ports",
            "onCardMemoryMiB", "logMaxOutstanding", "latencyA", "latencyB", "latencyC", "nodeGuid", "portLids", "mtu",
            "maxQp", "maxCq", "maxMpt", "maxMtt", "maxMcg")));

    private static final long MELLANOX_GUID_BASE = 0x0002C90300000000L;
    private static final Pattern NUMBERED_HCA = Pattern.compile("hca([0-9]{1,5})");

    /** The default profile's table sizes. */
    private static final HcaConfig PROFILE = HcaConfig.defaults("profile", HcaModel.MT23108, 1, List.of(0, 0));

    private HardwareConfigurations() {}

    /**
     * The two HCAs the bus enumerates while no configuration exists: a Tavor and an Arbel, LIDs 1..4.
     * Exactly what {@code name=hca0, model=MT23108, portLids=1,2} and {@code name=hca1,
     * model=MT25208, portLids=3,4} parse to (the distribution ships those two files), so writing a
     * default down as a configuration changes nothing, its node GUID included.
     */
    static List<HcaConfig> defaults() {
        return List.of(
                HcaConfig.defaults("hca0", HcaModel.MT23108, defaultNodeGuid("hca0"), List.of(1, 2)),
                HcaConfig.defaults("hca1", HcaModel.MT25208, defaultNodeGuid("hca1"), List.of(3, 4)));
    }

    /**
     * The node GUID of an HCA whose configuration gives none: the Mellanox OUI (00:02:c9) and a
     * value from the name alone, so it does not depend on how the HCA was configured. {@code hcaN}
     * gets {@code 0002:c903:000(N+1):000}-style GUIDs ({@code hca0} 0002:c903:0000:1000, {@code hca1}
     * 0002:c903:0000:2000, ...); the low 12 bits stay free for the port GUIDs (node GUID + port).
     * Other names get one from the name's hash; a clash with another HCA's GUID is reported like
     * any other clash.
     */
    static long defaultNodeGuid(String name) {
        Matcher numbered = NUMBERED_HCA.matcher(name);
        if (numbered.matches()) {
            return MELLANOX_GUID_BASE | (Long.parseLong(numbered.group(1)) + 1) << 12;
        }
        return MELLANOX_GUID_BASE | (name.hashCode() & 0x7FFFFFFFL) << 4;
    }

    /**
     * @throws IllegalArgumentException naming the property and what it accepts
     */
    static HcaConfig parse(Dictionary<String, ?> properties) {
        rejectUnknownKeys(properties);
        String name = string(properties, "name", null);
        if (name == null) {
            throw new IllegalArgumentException("name is required");
        }
        String modelValue = string(properties, "model", null);
        if (modelValue == null) {
            throw new IllegalArgumentException("model is required (MT23108, MT25208 or MT25204)");
        }
        HcaModel model = HcaModel.parse(modelValue);
        List<Integer> lids = lids(properties);
        if (lids != null && properties.get("ports") == null && lids.size() > 2) {
            throw new IllegalArgumentException("portLids lists " + lids.size() + " LIDs; an HCA has 1 or 2 ports");
        }
        int ports = (int) number(properties, "ports", lids == null ? 2 : lids.size(), 1, 2);
        if (lids == null) {
            lids = new ArrayList<>();
            for (int i = 0; i < ports; i++) {
                lids.add(0);
            }
        }
        if (lids.size() != ports) {
            throw new IllegalArgumentException("portLids lists " + lids.size() + " LID(s) for " + ports + " port(s)");
        }
        long memoryMiB = number(properties, "onCardMemoryMiB", 128, 1, 4096);
        int logMaxOutstanding = (int) number(properties, "logMaxOutstanding", HcaConfig.DEFAULT_LOG_MAX_OUTSTANDING, 0, 8);
        long latencyA = number(properties, "latencyA", HcaConfig.DEFAULT_CLASS_A_NANOS / 1000, 0, 10_000_000);
        long latencyB = number(properties, "latencyB", HcaConfig.DEFAULT_CLASS_B_NANOS / 1000, 0, 10_000_000);
        long latencyC = number(properties, "latencyC", HcaConfig.DEFAULT_CLASS_C_NANOS / 1000, 0, 10_000_000);
        long nodeGuid = guid(properties, name);
        Mtu mtu;
        try {
            mtu = Mtu.ofBytes((int) number(properties, "mtu", 2048, 0, Integer.MAX_VALUE));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mtu: " + e.getMessage(), e);
        }
        int maxQp = (int) number(properties, "maxQp", PROFILE.maxQp(), 0, Integer.MAX_VALUE);
        int maxCq = (int) number(properties, "maxCq", PROFILE.maxCq(), 0, Integer.MAX_VALUE);
        int maxMpt = (int) number(properties, "maxMpt", PROFILE.maxMpt(), 0, Integer.MAX_VALUE);
        int maxMtt = (int) number(properties, "maxMtt", PROFILE.maxMtt(), 0, Integer.MAX_VALUE);
        int maxMcg = (int) number(properties, "maxMcg", PROFILE.maxMcg(), 0, Integer.MAX_VALUE);
        // HcaConfig checks the rest (name syntax, LID ranges, profile sizes) and names the field
        return new HcaConfig(name, model, ports, memoryMiB << 20, logMaxOutstanding, latencyA * 1000, latencyB * 1000,
                latencyC * 1000, nodeGuid, lids, mtu, maxQp, maxCq, maxMpt, maxMtt, maxMcg);
    }

    /** A key that is neither ours nor ConfigAdmin's or FileInstall's is named, with the key it may have meant. */
    private static void rejectUnknownKeys(Dictionary<String, ?> properties) {
        List<String> unknown = new ArrayList<>();
        for (String key : Collections.list(properties.keys())) {
            if (!KEYS.contains(key) && !key.startsWith("service.") && !key.startsWith("felix.fileinstall.")) {
                unknown.add(key);
            }
        }
        if (unknown.isEmpty()) {
            return;
        }
        Collections.sort(unknown);
        StringBuilder message = new StringBuilder(unknown.size() == 1 ? "unknown property " : "unknown properties ");
        for (int i = 0; i < unknown.size(); i++) {
            String key = unknown.get(i);
            message.append(i == 0 ? "" : ", ").append(key);
            String meant = closestKey(key);
            if (meant != null) {
                message.append(" (did you mean ").append(meant).append("?)");
            }
        }
        throw new IllegalArgumentException(message.append("; the properties are ").append(String.join(", ", KEYS))
                .toString());
    }

    /** The known key within two edits of {@code key} (case ignored), or null. */
    private static String closestKey(String key) {
        String best = null;
        int bestDistance = 3;
        for (String known : KEYS) {
            int d = editDistance(key.toLowerCase(Locale.ROOT), known.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = known;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    private static String string(Dictionary<String, ?> properties, String key, String otherwise) {
        Object value = properties.get(key);
        if (value == null) {
            return otherwise;
        }
        String s = String.valueOf(value).trim();
        return s.isEmpty() ? otherwise : s;
    }

    private static long number(Dictionary<String, ?> properties, String key, long otherwise, long min, long max) {
        Object value = properties.get(key);
        long n;
        if (value == null || (value instanceof String s && s.isBlank())) {
            return otherwise;
        } else if (value instanceof Number number) {
            n = number.longValue();
        } else {
            try {
                n = Long.parseLong(String.valueOf(value).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " must be a whole number, was '" + value + "'", e);
            }
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(key + " must be " + min + ".." + max + ", was " + n);
        }
        return n;
    }

    private static List<Integer> lids(Dictionary<String, ?> properties) {
        Object value = properties.get("portLids");
        if (value == null) {
            return null;
        }
        List<Integer> lids = new ArrayList<>();
        String text = value instanceof String[] array ? String.join(",", array) : String.valueOf(value);
        for (String part : text.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            try {
                lids.add(p.startsWith("0x") || p.startsWith("0X") ? Integer.parseInt(p.substring(2), 16) : Integer.parseInt(p));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("portLids must list LIDs separated by commas, e.g. 1,2; '" + p
                        + "' is not a number", e);
            }
        }
        if (lids.isEmpty()) {
            throw new IllegalArgumentException("portLids is empty; list one LID per port, e.g. 1,2");
        }
        return lids;
    }

    /** The node GUID: the configured hex value, or {@link #defaultNodeGuid} of the name. */
    private static long guid(Dictionary<String, ?> properties, String name) {
        String text = string(properties, "nodeGuid", null);
        if (text == null) {
            return defaultNodeGuid(name);
        }
        String hex = text.replace(":", "");
        if (hex.startsWith("0x") || hex.startsWith("0X")) {
            hex = hex.substring(2);
        }
        try {
            if (hex.isEmpty() || hex.length() > 16) {
                throw new NumberFormatException(hex);
            }
            long guid = Long.parseUnsignedLong(hex, 16);
            if (guid == 0) {
                throw new IllegalArgumentException("nodeGuid must not be 0");
            }
            return guid;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("nodeGuid must be up to 16 hex digits (e.g. 0x0002c90300001000), was '"
                    + text + "'", e);
        }
    }
}
