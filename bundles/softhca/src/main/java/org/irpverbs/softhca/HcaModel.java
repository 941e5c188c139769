package org.irpverbs.softhca;

import java.util.List;

/**
 * The hardware models a soft HCA can be, with their PCI identity and the hardware IDs a bus
 * reports for them (most specific first), as in the Windows mthca INF:
 * <ul>
 * <li>MT23108 (Tavor): context memory on the card; only the Tavor driver runs it.</li>
 * <li>MT25208 (Arbel): runs in Tavor-compatibility mode or in mem-free mode; both drivers match,
 * the mem-free one is ranked better.</li>
 * <li>MT25204 (Sinai): mem-free only.</li>
 * </ul>
 */
public enum HcaModel {
    MT23108(23108, "Tavor", true, false),
    MT25208(25208, "Arbel", true, true),
    MT25204(25204, "Sinai", false, true);

    public static final int VENDOR_MELLANOX = 0x02c9;
    /** The hardware ID every Tavor-compatible device also reports. */
    public static final String TAVOR_COMPATIBLE_ID = "IRPVERBS\\TAVOR_COMPATIBLE";
    /** The hardware ID every mem-free-capable device also reports. */
    public static final String MEMFREE_CAPABLE_ID = "IRPVERBS\\MEMFREE_CAPABLE";

    private final int deviceId;
    private final String codeName;
    private final boolean tavorMode;
    private final boolean memFreeMode;

    HcaModel(int deviceId, String codeName, boolean tavorMode, boolean memFreeMode) {
        this.deviceId = deviceId;
        this.codeName = codeName;
        this.tavorMode = tavorMode;
        this.memFreeMode = memFreeMode;
    }

    public int deviceId() {
        return deviceId;
    }

    public String codeName() {
        return codeName;
    }

    /** Can run with context memory on the card (a Tavor driver may run it). */
    public boolean supportsTavorMode() {
        return tavorMode;
    }

    /** Can run with context memory in host RAM (a mem-free driver may run it). */
    public boolean supportsMemFreeMode() {
        return memFreeMode;
    }

    /** {@code PCI\VEN_02C9&DEV_5A44} style, most specific first, then the capability IDs. */
    public List<String> hardwareIds() {
        String pci = String.format("PCI\\VEN_%04X&DEV_%04X", VENDOR_MELLANOX, deviceId);
        java.util.ArrayList<String> ids = new java.util.ArrayList<>();
        ids.add(pci);
        if (memFreeMode) {
            ids.add(MEMFREE_CAPABLE_ID);
        }
        if (tavorMode) {
            ids.add(TAVOR_COMPATIBLE_ID);
        }
        return List.copyOf(ids);
    }

    /**
     * @throws IllegalArgumentException naming the accepted models
     */
    public static HcaModel parse(String value) {
        for (HcaModel m : values()) {
            if (m.name().equalsIgnoreCase(value == null ? "" : value.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("model must be MT23108, MT25208 or MT25204, was '" + value + "'");
    }
}
