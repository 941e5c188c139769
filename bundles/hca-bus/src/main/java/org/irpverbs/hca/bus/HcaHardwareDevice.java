package org.irpverbs.hca.bus;

import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.engine.SoftHca;

/**
 * The extension of a soft HCA's physical device: its configuration and the engine that is its
 * hardware. {@code present} is true while the bus still reports the device; a REMOVE while it is
 * present means its driver left, and the chip is reset for the next one.
 *
 * <p>Thread-safe: final fields and a volatile flag.
 */
public final class HcaHardwareDevice {
    private final String key;
    private final HcaConfig config;
    private final SoftHca hardware;
    private volatile boolean present = true;

    HcaHardwareDevice(String key, HcaConfig config, SoftHca hardware) {
        this.key = key;
        this.config = config;
        this.hardware = hardware;
    }

    /** The configuration's PID, or {@code default:<name>} for a default HCA. */
    public String key() {
        return key;
    }

    public HcaConfig config() {
        return config;
    }

    public SoftHca hardware() {
        return hardware;
    }

    public boolean present() {
        return present;
    }

    void gone() {
        present = false;
    }

    /** The hardware is unplugged: reset, off the fabric, its engine stopped. Idempotent. */
    void close() {
        present = false;
        hardware.close();
    }

    /** One line for {@code irp:stats}. */
    @Override
    public String toString() {
        return config.name() + " " + config.model() + " (" + key + ")" + (hardware.isFailed() ? ", FAILED" : "")
                + (present ? "" : ", gone");
    }
}
