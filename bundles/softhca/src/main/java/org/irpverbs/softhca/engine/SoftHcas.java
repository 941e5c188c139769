package org.irpverbs.softhca.engine;

import org.irpverbs.irp.IoManager;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.fabric.Fabric;

/**
 * Creates soft HCAs. A bus driver creates one per configured instance and reports it as a physical
 * device; tests and benchmarks create them directly.
 *
 * <p>Thread-safe: stateless.
 */
public final class SoftHcas {
    private SoftHcas() {}

    /** A new HCA with {@link EngineTuning#defaults()}, its engine thread started, in the pre-start state. */
    public static SoftHca create(HcaConfig config, Fabric fabric, IoManager io) {
        return create(config, fabric, io, EngineTuning.defaults());
    }

    /**
     * A new HCA, its engine thread started, in the pre-start state (firmware not running).
     *
     * @throws IllegalArgumentException if an argument is null
     */
    public static SoftHca create(HcaConfig config, Fabric fabric, IoManager io, EngineTuning tuning) {
        if (config == null || fabric == null || io == null || tuning == null) {
            throw new IllegalArgumentException("config, fabric, I/O manager and tuning are required");
        }
        return new SoftHca(config, fabric, io, tuning);
    }
}
