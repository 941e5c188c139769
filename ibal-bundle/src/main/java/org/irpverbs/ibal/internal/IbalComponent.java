package org.irpverbs.ibal.internal;

import org.irpverbs.ibal.Ibal;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.verbs.VerbsInterface;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.osgi.service.component.ComponentContext;

/**
 * IBAL in OSGi: registers the bus driver as a root-enumerated {@link Driver} service, binds
 * dynamically and greedily to every HCA function device's {@value VerbsInterface#DEVICE_INTERFACE}
 * interface service (any number, in any order, coming and going), and registers the {@link Ibal}
 * service while IBAL's device runs. Bind and unbind only queue work on IBAL's serial queue; nothing
 * here waits. Registering and unregistering the {@link Ibal} service happens on the I/O manager's
 * system worker (PASSIVE), never at DISPATCH.
 *
 * <p>Configured by {@value IbalMode#PID} ({@link Config}):
 * <ul>
 * <li>{@code mode} is {@code queued} (the default, no threads of IBAL's own) or {@code legacy}
 * (WinOF's three worker threads, for the comparison benchmark); a bad value is logged and the
 * default used. A changed mode restarts the component, which updates IBAL in place: its children
 * are removed in order and come back in the new mode.</li>
 * <li>{@code partitionKeys}: a change is applied in place (no restart of IBAL): the partition
 * children of every ACTIVE port are brought in line.</li>
 * </ul>
 *
 * <p>Thread-safe.
 */
@Component(service = Driver.class, configurationPid = IbalMode.PID, property = Driver.ROOT + ":Boolean=true")
@Designate(ocd = IbalComponent.Config.class)
public final class IbalComponent implements Driver {
    /** IBAL's configuration PID. */
    public static final String PID = IbalMode.PID;

    private static final Logger LOG = LoggerFactory.getLogger(IbalComponent.class);

    /** Metatype of {@value IbalMode#PID}; the meaning and validation live in {@link IbalMode} and {@link PartitionKeys}. */
    @ObjectClassDefinition(name = "irpverbs IBAL", description = "The InfiniBand access layer: how it runs its work, and its partitions")
    public @interface Config {
        @AttributeDefinition(name = "Mode", description = "queued (no threads of IBAL's own: DPCs and request "
                + "completions) or legacy (WinOF's three worker threads, verbs issued from them at PASSIVE; for "
                + "comparison, with the HCA drivers in legacy command mode)",
                options = {@Option(label = "queued", value = "queued"), @Option(label = "legacy", value = "legacy")})
        String mode() default IbalMode.DEFAULT;

        @AttributeDefinition(description = "Partition keys, each 0x and 1 to 4 hex digits (e.g. 0x8001): every ACTIVE "
                + "port whose P_Key table holds one gets a partition child for it (IBA\\IPoIB, instance ID "
                + "<port GUID>:<P_Key>) besides its port child. Invalid keys, the default partition (0xffff) and "
                + "repeated partitions are ignored with one log line.")
        String[] partitionKeys() default {};
    }

    private final IoManager io;
    private final BundleContext context;
    private final IbalBusDriver bus;
    private final IbalMode mode;
    private final ComponentContext component;
    private ServiceRegistration<Ibal> registration; // touched only on the system worker

    @Activate
    public IbalComponent(@Reference(name = "io") IoManager io, BundleContext context, Config config,
            ComponentContext component) {
        this.io = io;
        this.context = context;
        IbalMode mode = IbalMode.fromConfig(config.mode(), IbalMode.PID);
        this.bus = new IbalBusDriver(io, new IbalCore.Lifecycle() {
            @Override
            public void started(Ibal ibal) {
                io.queueWorkItem(() -> register(ibal));
            }

            @Override
            public void stopped(Ibal ibal) {
                io.queueWorkItem(IbalComponent.this::unregister);
            }
        }, mode);
        this.mode = mode;
        this.component = component;
        configure(config);
    }

    /**
     * A new configuration. Partition keys are applied in place; a new mode needs a new IBAL, so
     * the component is disabled and enabled again (asynchronously, by the DS runtime: never a wait
     * here), which removes IBAL's devices in order and makes them again in the new mode.
     */
    @Modified
    void modified(Config config) {
        IbalMode wanted = IbalMode.fromConfig(config.mode(), IbalMode.PID);
        if (wanted != mode) {
            String name = (String) component.getProperties().get(org.osgi.service.component.ComponentConstants.COMPONENT_NAME);
            component.disableComponent(name);
            component.enableComponent(name);
            return;
        }
        configure(config);
    }

    private void configure(Config config) {
        PartitionKeys keys = PartitionKeys.parse(config.partitionKeys());
        if (keys.problem() != null) {
            LOG.error("IBAL configuration {}: {}; using {}", PID, keys.problem(),
                    keys.keys().stream().map(PartitionKeys::hex).toList());
        }
        bus.core().configurePartitionKeys(keys);
    }

    @Reference(name = "hca", service = DeviceObject.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            target = "(irp.device.interface=" + VerbsInterface.DEVICE_INTERFACE + ")")
    void bindHca(DeviceObject hca) {
        bus.core().hcaArrived(hca);
    }

    void unbindHca(DeviceObject hca) {
        bus.core().hcaLeft(hca);
    }

    @Deactivate
    void deactivate() {
        // the PnP manager removes IBAL's devices in order when the Driver service goes; this only
        // makes sure the Ibal service does not outlive the component
        bus.core().shutdown();
        io.queueWorkItem(this::unregister);
    }

    private void register(Ibal ibal) {
        if (registration == null && !bus.core().isShutDown()) {
            registration = context.registerService(Ibal.class, ibal, null);
        }
    }

    private void unregister() {
        ServiceRegistration<Ibal> r = registration;
        registration = null;
        if (r != null) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle stopped first: the framework unregistered it
            }
        }
    }

    @Override
    public DriverObject driverObject() {
        return bus.driverObject();
    }

    @Override
    public DeviceObject addDevice(IoManager manager, DeviceObject physicalDevice) {
        return bus.addDevice(manager, physicalDevice);
    }
}
