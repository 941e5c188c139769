package org.irpverbs.ib.shell;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoManager;

/**
 * Finds the HCAs of an I/O manager: every device whose extension is an {@link HcaDevice}, by the
 * hardware's name. Thread-safe (reads snapshots).
 */
final class Hcas {
    private Hcas() {}

    /**
     * Waits (on the shell's PASSIVE thread) for the PnP work queued so far, so that a command run
     * right after start-up or a configuration change sees the stacks settled.
     */
    static void settle(IoManager io) {
        Await.value(io.pnpIdle(), "waiting for PnP");
    }

    /** Every HCA function device, started or not, by name. */
    static List<HcaDevice> all(IoManager io) {
        return io.devices().stream()
                .filter(d -> d.extension() instanceof HcaDevice && d.pnpState() != org.irpverbs.irp.PnpState.DELETED)
                .map(d -> (HcaDevice) d.extension())
                .sorted(Comparator.comparing(HcaDevice::name))
                .toList();
    }

    /** The started HCAs, by name. */
    static List<HcaDevice> started(IoManager io) {
        return all(io).stream().filter(h -> h.state() == HcaDevice.State.STARTED).toList();
    }

    /**
     * The started HCA named {@code name}.
     *
     * @throws IllegalArgumentException naming the HCAs there are
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
        throw new IllegalArgumentException("no HCA named '" + name + "'; "
                + (started.isEmpty() ? "no HCA is started" : "HCAs: "
                        + started.stream().map(HcaDevice::name).collect(Collectors.joining(", "))));
    }

    /**
     * Soft HCA physical devices no driver runs (e.g. an MT25204 without the mem-free driver): Mellanox
     * PCI hardware IDs and nothing attached.
     */
    static List<DeviceObject> unclaimed(IoManager io) {
        return io.devices().stream()
                .filter(d -> d.kind() == DeviceObject.Kind.PHYSICAL && d.attachedDevice() == null
                        && d.pnpState() != org.irpverbs.irp.PnpState.DELETED
                        && !d.hardwareIds().isEmpty() && d.hardwareIds().get(0).startsWith("PCI\\VEN_02C9"))
                .sorted(Comparator.comparing(DeviceObject::name))
                .toList();
    }
}
