package org.irpverbs.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.hca.core.HcaDriver;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.PortState;
import org.irpverbs.verbs.Verbs;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The HCA stack wired by Declarative Services in the container: the fabric service, the bus
 * (root-enumerated driver and ManagedServiceFactory), both HCA drivers, the device interface
 * services and the ib shell commands; and a ConfigAdmin factory configuration adding an HCA.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HcaStackIT {
    @Inject
    private BundleContext context;

    @Inject
    private IoManager io;

    @Inject
    private ConfigurationAdmin configurationAdmin;

    @Configuration
    public Option[] config() {
        return Containers.irpverbs();
    }

    @Before
    public void resetDetectors() {
        BlockingDetector.reset();
        DriverVerifier.reset();
    }

    /** The started HCA {@code name}, or null once {@code seconds} passed without one. */
    private HcaDevice started(String name, long seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        do {
            io.pnpIdle().getValue();
            for (DeviceObject d : io.devices()) {
                if (d.extension() instanceof HcaDevice hca && hca.name().equals(name)
                        && hca.state() == HcaDevice.State.STARTED) {
                    return hca;
                }
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        return null;
    }

    private boolean gone(String name, long seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        do {
            io.pnpIdle().getValue();
            if (io.device(name) == null) {
                return true;
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        return false;
    }

    @Test
    public void theDefaultHcasRunUnderTheirDriversAndOfferTheirInterface() throws Exception {
        HcaDevice hca0 = started("hca0", 30);
        HcaDevice hca1 = started("hca1", 30);
        assertNotNull("hca0 started", hca0);
        assertNotNull("hca1 started", hca1);
        assertEquals("TavorHca", hca0.device().driver().name());
        assertEquals("MemFreeHca", hca1.device().driver().name());
        // Exactly two, waited for: the services follow the devices on the manager's system worker,
        // so right after another test removed an HCA its service may still be registered (the
        // factory-configuration test runs first and ends by removing hca5).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<Object> registered;
        do {
            registered = context.getServiceReferences(DeviceObject.class,
                    "(irp.device.interface=" + HcaDriver.DEVICE_INTERFACE + ")").stream()
                    .map(r -> r.getProperty("irp.device.name")).toList();
        } while (registered.size() != 2 && System.nanoTime() < deadline && sleep());
        assertEquals("an irpverbs.hca device service per HCA: " + registered, 2, registered.size());
        PortAttributes port = new Verbs(io, hca1.device()).queryPort(2).getValue();
        assertEquals(PortState.ACTIVE, port.state());
        assertEquals(4, port.lid());
        assertFalse("the ib:* commands are registered",
                context.getServiceReferences((String) null, "(osgi.command.scope=ib)") == null);
        assertEquals(0, BlockingDetector.violationCount());
        assertEquals(0, DriverVerifier.bugCount());
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(10);
        return true;
    }

    @Test
    public void aFactoryConfigurationAddsAnHcaInsteadOfTheDefaults() throws Exception {
        assertNotNull(started("hca0", 30));
        org.osgi.service.cm.Configuration configuration = configurationAdmin
                .createFactoryConfiguration("org.irpverbs.hca.hardware", "?");
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("name", "hca5");
        properties.put("model", "MT25204");
        properties.put("ports", "1");
        properties.put("portLids", "9");
        configuration.update(properties);
        try {
            HcaDevice hca5 = started("hca5", 30);
            assertNotNull("hca5 started", hca5);
            assertEquals("MemFreeHca", hca5.device().driver().name());
            assertTrue("the defaults give way to the configuration", gone("hca0", 30));
        } finally {
            configuration.delete();
        }
        assertNotNull("the defaults are back once no configuration is left", started("hca0", 30));
        assertTrue(gone("hca5", 30));
        assertEquals(0, BlockingDetector.violationCount());
        assertEquals(0, DriverVerifier.bugCount());
    }
}
