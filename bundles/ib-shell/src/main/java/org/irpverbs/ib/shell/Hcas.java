package org.irpverbs.ib.shell;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.PnpState;

/**
 * Finds the HCAs of an I/O manager: every device whose extension is an {@link HcaDevice}, by the
 * hardware's name in natural order ({@code hca2} before {@code hca14}). Thread-safe (reads
 * snapshots).
 */
final class Hcas {
    /** Names with their digit runs compared as numbers: hca2 < hca14; ties (hca02, hca2) by text. */
    static final Comparator<String> NATURAL_ORDER = Hcas::compareNatural;

    private Hcas() {}

    /**
     * Waits (on the shell's PASSIVE thread) for the PnP work queued so far, so that a command run
     * right after start-up or a configuration change sees the stacks settled.
     */
    static void settle(IoManager io) {
        Await.value(io.pnpIdle(), "PnP");
    }

    /** Every HCA function device, started or not, by name. */
    static List<HcaDevice> all(IoManager io) {
        return io.devices().stream()
                .filter(d -> d.extension() instanceof HcaDevice && d.pnpState() != PnpState.DELETED)
                .map(d -> (HcaDevice) d.extension())
                .sorted(Comparator.comparing(HcaDevice::name, NATURAL_ORDER))
                .toList();
    }

    /** The started HCAs, by name. */
    static List<HcaDevice> started(IoManager io) {
        return all(io).stream().filter(h -> h.state() == HcaDevice.State.STARTED).toList();
    }

    /**
     * The started HCA named {@code name}.
     *
     * @throws IllegalArgumentException saying whether the HCA exists without a driver, is not
     *         started, or does not exist (then naming the HCAs there are)
     */
    static HcaDevice named(IoManager io, String name) {
        List<HcaDevice> started = started(io);
        for (HcaDevice hca : started) {
            if (hca.name().equals(name)) {
                return hca;
            }
        }
        for (HcaDevice hca : all(io)) {
            if (hca.name().equals(name)) {
                throw new IllegalArgumentException("HCA " + name + " is " + hca.state() + ", not STARTED");
            }
        }
        for (DeviceObject pdo : unclaimed(io)) {
            if (pdo.name().equals(name)) {
                throw new IllegalArgumentException(noDriver(pdo));
            }
        }
        throw new IllegalArgumentException("no HCA named '" + name + "'; "
                + (started.isEmpty() ? "no HCA is started" : "HCAs: "
                        + started.stream().map(HcaDevice::name).collect(Collectors.joining(", "))));
    }

    /** Why an HCA without a driver cannot be used. */
    static String noDriver(DeviceObject pdo) {
        return "HCA " + pdo.name() + " exists but has no driver (" + String.join(", ", pdo.hardwareIds())
                + "): its driver bundle is stopped or being replaced, or no driver supports it";
    }

    /**
     * Soft HCA physical devices no driver runs (an MT25204 without the mem-free driver, an HCA
     * whose driver bundle was stopped): Mellanox PCI hardware IDs and nothing attached.
     */
    static List<DeviceObject> unclaimed(IoManager io) {
        return io.devices().stream()
                .filter(d -> d.kind() == DeviceObject.Kind.PHYSICAL && d.attachedDevice() == null
                        && d.pnpState() != PnpState.DELETED
                        && !d.hardwareIds().isEmpty() && d.hardwareIds().get(0).startsWith("PCI\\VEN_02C9"))
                .sorted(Comparator.comparing(DeviceObject::name, NATURAL_ORDER))
                .toList();
    }

    private static int compareNatural(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char x = a.charAt(i);
            char y = b.charAt(j);
            if (Character.isDigit(x) && Character.isDigit(y)) {
                int iEnd = digitsEnd(a, i);
                int jEnd = digitsEnd(b, j);
                // compare the runs as numbers without parsing: leading zeros off, then length, then digits
                int iStart = skipZeros(a, i, iEnd);
                int jStart = skipZeros(b, j, jEnd);
                int byLength = Integer.compare(iEnd - iStart, jEnd - jStart);
                if (byLength != 0) {
                    return byLength;
                }
                int byDigits = a.substring(iStart, iEnd).compareTo(b.substring(jStart, jEnd));
                if (byDigits != 0) {
                    return byDigits;
                }
                i = iEnd;
                j = jEnd;
            } else {
                if (x != y) {
                    return Character.compare(x, y);
                }
                i++;
                j++;
            }
        }
        int byRest = Integer.compare(a.length() - i, b.length() - j);
        return byRest != 0 ? byRest : a.compareTo(b);
    }

    private static int digitsEnd(String s, int from) {
        int end = from;
        while (end < s.length() && Character.isDigit(s.charAt(end))) {
            end++;
        }
        return end;
    }

    private static int skipZeros(String s, int from, int end) {
        int i = from;
        while (i < end - 1 && s.charAt(i) == '0') {
            i++;
        }
        return i;
    }
}
