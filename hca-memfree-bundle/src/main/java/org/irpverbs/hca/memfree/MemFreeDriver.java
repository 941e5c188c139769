package org.irpverbs.hca.memfree;

import org.irpverbs.hca.core.HcaDriver;
import org.irpverbs.hca.core.HcaDriverOptions;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.softhca.HcaModel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * The mem-free (Arbel) HCA driver: a {@link Driver} service for every mem-free-capable soft HCA
 * (hardware ID {@value HcaModel#MEMFREE_CAPABLE_ID}: MT25208, MT25204), ranked above the Tavor
 * driver so that it wins an MT25208, which both can run. Everything but the context memory
 * ({@link MemFreeContextMemory}) is the shared {@link HcaDriver}.
 *
 * <p>Configuration (PID {@value #PID}, validated; a bad value is logged and the default used): the
 * command-interface mode and command timeout. A changed configuration restarts the component, so the
 * driver's devices are removed and added again with the new settings.
 *
 * <p>Thread-safe. Both the DS component and a plain class for tests.
 */
@Component(service = Driver.class, configurationPid = MemFreeDriver.PID, property = {
    Driver.HARDWARE_IDS + "=" + HcaModel.MEMFREE_CAPABLE_ID,
    "service.ranking:Integer=" + MemFreeDriver.RANKING})
@Designate(ocd = MemFreeDriver.Config.class)
public final class MemFreeDriver implements Driver {
    public static final String PID = "org.irpverbs.hca.memfree";
    /** Above the Tavor driver's (10): it wins a device both can run. */
    public static final int RANKING = 20;
    public static final String DRIVER_NAME = "MemFreeHca";


    /**
     * Metatype for this driver's PID (bnd generates metatype only for annotations in the bundle
     * itself, so each driver declares it; the meaning and validation live in HcaDriverOptions).
     */
    @ObjectClassDefinition(name = "irpverbs mem-free HCA driver", description = "Command interface of the HCAs this driver runs")
    public @interface Config {
        @AttributeDefinition(name = "Command mode", description = "queued (requests wait, nothing blocks) or legacy "
                + "(callers block: the old driver, for the comparison benchmark)",
                options = {@Option(value = "queued", label = "queued"), @Option(value = "legacy", label = "legacy")})
        String commandMode() default HcaDriverOptions.DEFAULT_MODE;

        @AttributeDefinition(name = "Command timeout (ms)", description = "1.." + HcaDriverOptions.MAX_TIMEOUT_MILLIS,
                min = "1", max = "" + HcaDriverOptions.MAX_TIMEOUT_MILLIS)
        long commandTimeoutMillis() default HcaDriverOptions.DEFAULT_TIMEOUT_MILLIS;
    }

    private final HcaDriver hca;

    /** A driver with the default options (tests). */
    public MemFreeDriver() {
        this(HcaDriverOptions.DEFAULTS);
    }

    public MemFreeDriver(HcaDriverOptions options) {
        this.hca = new HcaDriver(DRIVER_NAME, "memfree", MemFreeContextMemory::new, options);
    }

    /** DS: the configured options; a bad configuration is logged and the defaults used. */
    @Activate
    public MemFreeDriver(Config config) {
        this(HcaDriverOptions.fromConfig(config.commandMode(), config.commandTimeoutMillis(), PID));
    }

    public HcaDriverOptions options() {
        return hca.options();
    }

    @Override
    public DriverObject driverObject() {
        return hca.driverObject();
    }

    @Override
    public DeviceObject addDevice(IoManager io, DeviceObject physicalDevice) {
        return hca.addDevice(io, physicalDevice);
    }
}
