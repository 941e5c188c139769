package org.irpverbs.irp.internal;

import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.BlockingViolation;
import org.irpverbs.irp.DeviceInterfaceListener;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverRegistration;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the I/O manager inside OSGi: registers it as a service, attaches every {@link Driver}
 * service (whiteboard, dynamic and greedy) through the PnP manager, and registers each enabled
 * device interface as a {@link DeviceObject} service with properties {@value #INTERFACE},
 * {@value #NAME} and {@value #HARDWARE_IDS}. Bind and unbind only queue PnP work; they never wait.
 */
@Component(immediate = true, configurationPid = "org.irpverbs.irp")
@Designate(ocd = IoManagerComponent.Config.class)
public final class IoManagerComponent {
    public static final String INTERFACE = "irp.device.interface";
    public static final String NAME = "irp.device.name";
    public static final String HARDWARE_IDS = "irp.device.hardwareIds";

    private static final Logger LOG = LoggerFactory.getLogger(IoManagerComponent.class);

    @ObjectClassDefinition(name = "irpverbs I/O manager")
    public @interface Config {
        @AttributeDefinition(description = "Completion pool threads that run DPCs and timers at DISPATCH (1..64)")
        int completionThreads() default 2;

        @AttributeDefinition(description = "Blocking detection at DISPATCH: off, report or fail")
        String blockingDetection() default "";
    }

    private final BundleContext context;
    private final IoManager io;
    private final ServiceRegistration<IoManager> registration;
    private final Map<String, ServiceRegistration<DeviceObject>> interfaces = new ConcurrentHashMap<>();
    private final Consumer<BlockingViolation> violationLogger = v -> LOG.error("{}", v);
    private volatile boolean active = true;
    /** Bundle revisions whose code is loaded; weak, so that a refreshed revision's loader can go. */
    private final java.util.Set<BundleRevision> preloadedRevisions =
            java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));

    @Activate
    public IoManagerComponent(BundleContext context, Config config) {
        this.context = context;
        int threads = config.completionThreads();
        if (threads < 1 || threads > 64) {
            LOG.error("completionThreads must be 1..64, was {}; using 2", threads);
            threads = 2;
        }
        if (BlockingDetector.systemPropertyError() != null) {
            LOG.error("{}", BlockingDetector.systemPropertyError());
        }
        if (!config.blockingDetection().isBlank()) {
            try {
                BlockingDetector.setMode(BlockingDetector.parseMode(config.blockingDetection()));
            } catch (IllegalArgumentException e) {
                LOG.error("{}; keeping {}", e.getMessage(), BlockingDetector.mode());
            }
        }
        BlockingDetector.addListener(violationLogger);
        this.io = IoManagers.create("irp", threads, new Publisher());
        this.registration = context.registerService(IoManager.class, io, null);
        LOG.info("I/O manager started: {} completion thread(s), blocking detection {}", threads, BlockingDetector.mode());
    }

    @Deactivate
    void deactivate() {
        active = false;
        registration.unregister();
        for (ServiceRegistration<DeviceObject> r : interfaces.values()) {
            unregisterQuietly(r);
        }
        interfaces.clear();
        BlockingDetector.removeListener(violationLogger);
        IoManagers.shutdown(io);
    }

    @Reference(service = Driver.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindDriver(Driver driver, ServiceReference<Driver> reference, Map<String, Object> properties) {
        DriverRegistration registration;
        try {
            registration = DriverRegistration.fromProperties(properties);
        } catch (IllegalArgumentException e) {
            LOG.error("driver {} ignored: {}", properties.get("component.name"), e.getMessage());
            return;
        }
        Bundle driverBundle = reference.getBundle();
        // Bind must not block: the driver's code is loaded on the system worker (PASSIVE), then the
        // driver is added. Unbind goes through the same single worker, so it never overtakes this.
        io.queueWorkItem(() -> {
            loadDriverCode(driverBundle);
            IoManagers.addDriver(io, driver, registration);
        });
    }

    void unbindDriver(Driver driver) {
        io.queueWorkItem(() -> IoManagers.removeDriver(io, driver));
    }

    /**
     * Loads every class of a driver bundle, and of every bundle it imports packages from, before
     * the driver gets devices: the analog of Windows requiring code that runs at DISPATCH to be
     * non-paged. Otherwise the first request through a fresh bundle revision loads its classes at
     * DISPATCH, and two completion threads loading from the same class loader wait for each other
     * (seen in the hot-update test). The providers matter as much as the driver: an HCA driver's
     * completion routines run mostly in hca-core's and the soft HCA's code. Revisions already
     * preloaded are skipped; an updated bundle is a new revision and is loaded again.
     */
    private void loadDriverCode(Bundle bundle) {
        if (bundle == null) {
            return;
        }
        BundleWiring wiring = bundle.adapt(BundleWiring.class);
        if (wiring == null) {
            return;
        }
        loadBundleCode(wiring);
        for (BundleWire wire : wiring.getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE)) {
            BundleWiring provider = wire.getProviderWiring();
            if (provider != null && provider.getBundle().getBundleId() != 0) { // the system bundle: JDK and framework
                loadBundleCode(provider);
            }
        }
    }

    private void loadBundleCode(BundleWiring wiring) {
        if (!preloadedRevisions.add(wiring.getRevision())) {
            return;
        }
        java.util.Collection<String> classes = wiring.listResources("/", "*.class",
                BundleWiring.LISTRESOURCES_RECURSE | BundleWiring.LISTRESOURCES_LOCAL);
        ClassLoader loader = wiring.getClassLoader();
        if (classes == null || loader == null) {
            return;
        }
        for (String resource : classes) {
            String name = resource.substring(0, resource.length() - ".class".length()).replace('/', '.');
            if (name.endsWith("package-info") || name.endsWith("module-info")) {
                continue;
            }
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                LOG.debug("bundle {}: class {} not preloaded: {}", wiring.getBundle().getSymbolicName(), name, e.toString());
            }
        }
    }

    /** Registers interface services on the manager's system worker (PASSIVE), never at DISPATCH. */
    private final class Publisher implements DeviceInterfaceListener {
        @Override
        public void interfaceEnabled(DeviceObject device, String interfaceName) {
            if (!active) {
                return;
            }
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(INTERFACE, interfaceName);
            props.put(NAME, device.name());
            DeviceObject pdo = device.physicalDevice();
            List<String> ids = pdo.hardwareIds();
            props.put(HARDWARE_IDS, ids.toArray(new String[0]));
            props.put("irp.device.physical", pdo.name());
            ServiceRegistration<DeviceObject> r = context.registerService(DeviceObject.class, device, props);
            ServiceRegistration<DeviceObject> old = interfaces.put(key(device, interfaceName), r);
            if (old != null) {
                unregisterQuietly(old);
            }
        }

        @Override
        public void interfaceDisabled(DeviceObject device, String interfaceName) {
            ServiceRegistration<DeviceObject> r = interfaces.remove(key(device, interfaceName));
            if (r != null) {
                unregisterQuietly(r);
            }
        }
    }

    private static String key(DeviceObject device, String interfaceName) {
        return device.name() + "|" + interfaceName;
    }

    private static void unregisterQuietly(ServiceRegistration<?> r) {
        try {
            r.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the framework is stopping and took it already
        }
    }
}
