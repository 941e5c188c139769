package org.irpverbs.hca.bus;

import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.PnpHandler;
import org.irpverbs.irp.PnpState;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.SoftHcaHardware;
import org.irpverbs.softhca.engine.SoftHca;
import org.irpverbs.softhca.engine.SoftHcas;
import org.irpverbs.softhca.fabric.Fabric;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ManagedServiceFactory;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The soft HCA bus: a root-enumerated bus driver whose children are soft HCA hardware, one
 * physical device per ConfigAdmin factory configuration ({@value HardwareConfigurations#FACTORY_PID}),
 * or, while there is none at all, two default HCAs: {@code hca0} (MT23108, LIDs 1, 2) and
 * {@code hca1} (MT25208, LIDs 3, 4), all on the one fabric. The framework property
 * {@value #DEFAULTS_PROPERTY}{@code =false} turns the defaults off: the distribution ships them as
 * two configurations in {@code load/} instead, which a user sees, edits and adds to.
 * <pre>
 *   ROOT\HcaBus#n        PDO   made by the PnP manager (root-enumerated driver)
 *     └─ HcaBusN         FDO   this driver; QUERY_DEVICE_RELATIONS: one child per HCA
 *   hca0, hca1, ...      PDO   this driver's children: hardware IDs = the model's (PCI ID, then
 *                              MEMFREE_CAPABLE / TAVOR_COMPATIBLE); QUERY_INTERFACE(SoftHcaHardware)
 *                              answers the soft HCA engine; the HCA drivers attach above
 * </pre>
 * <ul>
 * <li>A configuration added, updated or deleted re-enumerates the bus
 * ({@code invalidateDeviceRelations}); a bad one is logged with its message and makes no device.
 * A changed configuration replaces the device: the old one goes in this enumeration, the new one
 * comes in the next (its name and LIDs are free only then).</li>
 * <li>A bad or clashing configuration is logged once, when it becomes bad (not on every
 * enumeration), and again only if it is fixed and breaks again.</li>
 * <li>REMOVE of a child resets its chip: its driver left, so the next driver starts from a clean
 * chip; or it is no longer configured, and the reset takes its ports off the fabric.</li>
 * </ul>
 * ManagedServiceFactory callbacks come on ConfigAdmin's thread; they only record the configuration
 * and queue a re-enumeration. Enumeration and PnP run on the PnP manager's queue at DISPATCH; making
 * an engine does not block.
 *
 * <p>Thread-safe. Both the DS component and a plain class for tests.
 */
@Component(service = {Driver.class, ManagedServiceFactory.class}, property = {
    Driver.ROOT + ":Boolean=true",
    Constants.SERVICE_PID + "=" + HardwareConfigurations.FACTORY_PID})
public final class HcaBusDriver implements Driver, ManagedServiceFactory {
    public static final String DRIVER_NAME = "HcaBus";
    public static final String FACTORY_PID = HardwareConfigurations.FACTORY_PID;
    /** Framework property: {@code false} = no default HCAs while nothing is configured. */
    public static final String DEFAULTS_PROPERTY = "irpverbs.hca.defaults";

    private static final Logger LOG = LoggerFactory.getLogger(HcaBusDriver.class);
    private static final String DEFAULT_KEY = "default:";

    private final Fabric fabric;
    private final DriverObject driverObject;
    /** Valid configurations by PID (ConfigAdmin's thread writes, the PnP queue reads). */
    private final Map<String, HcaConfig> configurations = new ConcurrentSkipListMap<>();
    /** Why each bad configuration makes no device, by PID (ConfigAdmin's thread writes, the PnP queue logs). */
    private final Map<String, String> invalid = new ConcurrentSkipListMap<>();
    private final boolean defaultsWhenUnconfigured;
    private final Consumer<String> problemLog;
    /** The problems logged so far, by PID; touched only on the PnP manager's serial queue. */
    private Map<String, String> logged = Map.of();
    private volatile DeviceObject busDevice;

    /** A bus with the default HCAs while nothing is configured. */
    public HcaBusDriver(Fabric fabric) {
        this(fabric, true);
    }

    public HcaBusDriver(Fabric fabric, boolean defaultsWhenUnconfigured) {
        this(fabric, defaultsWhenUnconfigured, LOG::error);
    }

    /** {@code problemLog} gets each bad or clashing configuration's message once, on the system worker (tests). */
    HcaBusDriver(Fabric fabric, boolean defaultsWhenUnconfigured, Consumer<String> problemLog) {
        this.fabric = fabric;
        this.defaultsWhenUnconfigured = defaultsWhenUnconfigured;
        this.problemLog = problemLog;
        this.driverObject = DriverObject.builder(DRIVER_NAME).pnp(new BusPnp()).build();
    }

    @Activate
    public HcaBusDriver(@Reference(name = "fabric") Fabric fabric, BundleContext context) {
        this(fabric, defaultsProperty(context.getProperty(DEFAULTS_PROPERTY)));
    }

    private static boolean defaultsProperty(String value) {
        if (value == null || value.isBlank() || value.trim().equalsIgnoreCase("true")) {
            return true;
        }
        if (value.trim().equalsIgnoreCase("false")) {
            return false;
        }
        LOG.error("{} must be true or false, was '{}'; using true", DEFAULTS_PROPERTY, value);
        return true;
    }

    @Override
    public DriverObject driverObject() {
        return driverObject;
    }

    @Override
    public DeviceObject addDevice(IoManager io, DeviceObject physicalDevice) {
        DeviceObject fdo = io.createDevice(driverObject, DRIVER_NAME + "#", DeviceObject.Kind.FUNCTION, new HcaBus(io));
        io.attach(fdo, physicalDevice);
        busDevice = fdo;
        return fdo;
    }

    // ---- ManagedServiceFactory (ConfigAdmin's thread) ----

    @Override
    public String getName() {
        return "irpverbs soft HCA hardware";
    }

    @Override
    public void updated(String pid, Dictionary<String, ?> properties) {
        try {
            HcaConfig config = HardwareConfigurations.parse(properties);
            invalid.remove(pid);
            configurations.put(pid, config);
        } catch (IllegalArgumentException e) {
            configurations.remove(pid);
            // logged by the next enumeration (the bus's start, if it is not started yet), once
            invalid.put(pid, "configuration " + describe(pid, properties) + " describes no soft HCA: " + e.getMessage());
        }
        reenumerate();
    }

    /** The PID, and the file FileInstall read it from if it did. */
    private static String describe(String pid, Dictionary<String, ?> properties) {
        Object file = properties.get("felix.fileinstall.filename");
        return pid + (properties.get("name") != null ? " (" + properties.get("name") + ")" : "")
                + (file != null ? " from " + file : "");
    }

    @Override
    public void deleted(String pid) {
        configurations.remove(pid);
        invalid.remove(pid);
        reenumerate();
    }

    /** The configurations in force now: the valid ones by PID (empty means the defaults apply). */
    public Map<String, HcaConfig> configurations() {
        return Map.copyOf(configurations);
    }

    /** Queues a re-enumeration if the bus is started (its start enumerates otherwise). */
    private void reenumerate() {
        DeviceObject bus = busDevice;
        if (bus != null && bus.pnpState() == PnpState.STARTED) {
            bus.ioManager().invalidateDeviceRelations(bus);
        }
    }

    /**
     * Logs the problems that are new since the last enumeration (or changed), and forgets the ones
     * that are gone, so that each is logged once however often the bus re-enumerates. PnP queue.
     */
    private void logNewProblems(HcaBus bus, Map<String, String> problems) {
        Map<String, String> before = logged;
        for (Map.Entry<String, String> problem : problems.entrySet()) {
            if (!problem.getValue().equals(before.get(problem.getKey()))) {
                String message = problem.getValue();
                bus.io.queueWorkItem(() -> problemLog.accept(message));
            }
        }
        logged = Map.copyOf(problems);
    }

    // ---- enumeration (PnP queue) ----

    /** What the bus should report now, by key: the configurations, or the defaults if there are none. */
    private Map<String, HcaConfig> wanted(HcaBus bus, Map<String, String> problems) {
        Map<String, HcaConfig> wanted = new LinkedHashMap<>();
        if (configurations.isEmpty() && invalid.isEmpty() && defaultsWhenUnconfigured) {
            for (HcaConfig c : HardwareConfigurations.defaults()) {
                wanted.put(DEFAULT_KEY + c.name(), c);
            }
            return wanted;
        }
        Set<String> names = new HashSet<>();
        Set<Integer> lids = new HashSet<>();
        Set<Long> guids = new HashSet<>();
        // configurations whose device exists claim their name, GUID and LIDs first; new ones in PID order
        List<Map.Entry<String, HcaConfig>> ordered = new ArrayList<>(configurations.entrySet());
        ordered.sort(java.util.Comparator.comparing((Map.Entry<String, HcaConfig> e) -> !existing(bus, e)));
        for (Map.Entry<String, HcaConfig> entry : ordered) {
            String pid = entry.getKey();
            HcaConfig c = entry.getValue();
            String clash = null;
            if (names.contains(c.name())) {
                clash = "name " + c.name();
            } else if (guids.contains(c.nodeGuid())) {
                clash = "node GUID " + Long.toHexString(c.nodeGuid());
            } else {
                for (int lid : c.portLids()) {
                    if (lid != 0 && lids.contains(lid)) {
                        clash = "LID " + lid;
                    }
                }
            }
            if (clash != null) {
                problems.put(pid, "configuration " + pid + " (" + c.name() + ") is ignored: another configuration has its "
                        + clash);
                continue;
            }
            names.add(c.name());
            guids.add(c.nodeGuid());
            c.portLids().stream().filter(lid -> lid != 0).forEach(lids::add);
            wanted.put(pid, c);
        }
        return wanted;
    }

    /** True if the bus already reports a device made from exactly this configuration. */
    private static boolean existing(HcaBus bus, Map.Entry<String, HcaConfig> entry) {
        DeviceObject child = bus.children.get(entry.getKey());
        return child != null && child.extension(HcaHardwareDevice.class).config().equals(entry.getValue());
    }

    private List<DeviceObject> enumerate(DeviceObject fdo) {
        HcaBus bus = fdo.extension(HcaBus.class);
        Map<String, String> problems = new LinkedHashMap<>(invalid);
        Map<String, HcaConfig> wanted = wanted(bus, problems);
        List<DeviceObject> reported = new ArrayList<>();
        Set<String> leaving = new HashSet<>();
        for (Map.Entry<String, DeviceObject> child : new ArrayList<>(bus.children.entrySet())) {
            HcaHardwareDevice hardware = child.getValue().extension(HcaHardwareDevice.class);
            HcaConfig want = wanted.get(child.getKey());
            if (want != null && want.equals(hardware.config()) && child.getValue().pnpState() != PnpState.DELETED) {
                reported.add(child.getValue());
            } else {
                // not reported: the PnP manager removes it (and REMOVE resets its chip)
                hardware.gone();
                bus.children.remove(child.getKey());
                leaving.add(hardware.config().name());
            }
        }
        boolean again = false;
        for (Map.Entry<String, HcaConfig> entry : wanted.entrySet()) {
            if (bus.children.containsKey(entry.getKey())) {
                continue;
            }
            HcaConfig config = entry.getValue();
            DeviceObject namesake = bus.io.device(config.name());
            if (leaving.contains(config.name()) || (namesake != null && namesake.driver() == driverObject)) {
                // its predecessor (same name, maybe the same LIDs) is still there: next enumeration
                again = true;
                continue;
            }
            if (namesake != null) {
                problems.put(entry.getKey(), "soft HCA " + config.name() + " (" + entry.getKey()
                        + ") is not created: device " + namesake + " exists already");
                continue;
            }
            DeviceObject pdo = create(bus.io, entry.getKey(), config, problems);
            if (pdo != null) {
                bus.children.put(entry.getKey(), pdo);
                reported.add(pdo);
            }
        }
        logNewProblems(bus, problems);
        if (again) {
            bus.io.invalidateDeviceRelations(fdo);
        }
        return reported;
    }

    private DeviceObject create(IoManager io, String key, HcaConfig config, Map<String, String> problems) {
        try {
            SoftHca hardware = SoftHcas.create(config, fabric, io);
            return io.createPhysicalDevice(driverObject, config.name(), config.model().hardwareIds(),
                    new HcaHardwareDevice(key, config, hardware));
        } catch (IllegalArgumentException | IllegalStateException e) {
            problems.put(key, "soft HCA " + config.name() + " (" + key + ") could not be created: " + e.getMessage());
            return null;
        }
    }

    /** PnP callbacks of the bus device and of its children; each dispatches on the extension. */
    private final class BusPnp implements PnpHandler {
        @Override
        public List<DeviceObject> queryBusRelations(DeviceObject device) {
            return device.extension() instanceof HcaBus ? enumerate(device) : null;
        }

        /** A child's function driver asks for the hardware. */
        @Override
        public Object queryInterface(DeviceObject device, Class<?> type) {
            if (device.extension() instanceof HcaHardwareDevice child && type == SoftHcaHardware.class) {
                return child.hardware();
            }
            return null;
        }

        @Override
        public CompletionStage<Integer> remove(DeviceObject device) {
            if (device.extension() instanceof HcaHardwareDevice child) {
                if (child.present()) {
                    // its driver left: the next driver must find a clean chip
                    child.hardware().reset();
                } else {
                    // no longer configured: unplugged (off the fabric, engine stopped)
                    child.close();
                }
            } else if (device.extension() instanceof HcaBus bus) {
                // the children were removed first; the bus going unplugs them all
                bus.children.values().forEach(c -> c.extension(HcaHardwareDevice.class).close());
                bus.children.clear();
                if (busDevice == device) {
                    busDevice = null;
                }
            }
            return SUCCESS;
        }
    }
}
