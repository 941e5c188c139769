package org.irpverbs.hca.tavor;

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
 * The Tavor HCA driver: a {@link Driver} service for every Tavor-compatible soft HCA (hardware ID
 * {@value HcaModel#TAVOR_COMPATIBLE_ID}, and the MT23108's own PCI ID), ranked below the mem-free
 * driver so that an MT25208 runs mem-free when both are present and in Tavor-compatibility mode when
 * only this one is. Everything but the context memory ({@link TavorContextMemory}) is the shared
 * {@link HcaDriver}.
 *
 * <p>Configuration (PID {@value #PID}, validated; a bad value is logged and the default used): the
 * command-interface mode and command timeout. A changed configuration restarts the component, so the
 * driver's devices are removed and added again with the new settings.
 *
 * <p>Thread-safe. Both the DS component and a plain class for tests.
 */
@Component(service = Driver.class, configurationPid = TavorDriver.PID, property = {
    Driver.HARDWARE_IDS + "=" + HcaModel.TAVOR_COMPATIBLE_ID,
    Driver.HARDWARE_IDS + "=" + TavorDriver.MT23108_PCI_ID,
    "service.ranking:Integer=" + TavorDriver.RANKING})
@Designate(ocd = TavorDriver.Config.class)
public final class TavorDriver implements Driver {
    public static final String PID = "org.irpverbs.hca.tavor";
    /** Below the mem-free driver's, which wins a device both can run. */
    public static final int RANKING = 10;
    public static final String DRIVER_NAME = "TavorHca";
    /** {@code HcaModel.MT23108.hardwareIds().get(0)}: PCI vendor 0x02C9, device 23108 = 0x5A44. */
    static final String MT23108_PCI_ID = "PCI\\VEN_02C9&DEV_5A44";


    /**
     * Metatype for this driver's PID (bnd generates metatype only for annotations in the bundle
     * itself, so each driver declares it; the meaning and validation live in HcaDriverOptions).
     */
    @ObjectClassDefinition(name = "irpverbs Tavor HCA driver", description = "Command interface of the HCAs this driver runs")
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
    public TavorDriver() {
        this(HcaDriverOptions.DEFAULTS);
    }

    public TavorDriver(HcaDriverOptions options) {
        this.hca = new HcaDriver(DRIVER_NAME, "tavor", TavorContextMemory::new, options);
    }

    /** DS: the configured options; a bad configuration is logged and the defaults used. */
    @Activate
    public TavorDriver(Config config) {
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
