package org.irpverbs.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.inject.Inject;
import org.irpverbs.ibal.Ibal;
import org.irpverbs.ibal.IbalCa;
import org.irpverbs.ibal.IbalChild;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.PnpState;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * IBAL wired by Declarative Services: it binds to both default HCAs through their device
 * interface services, enumerates a child per port, registers the Ibal service while its device
 * runs, and can be updated in place: its children go and come back, the HCAs stay.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class IbalIT {
    private static final long LIVENESS_SECONDS = 30;

    @Inject
    private BundleContext context;

    @Inject
    private IoManager io;

    @Configuration
    public Option[] config() {
        return Containers.irpverbs();
    }

    @Before
    public void resetDetectors() {
        BlockingDetector.reset();
        DriverVerifier.reset();
    }

    private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIVENESS_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not happen within " + LIVENESS_SECONDS + " s");
            }
            Thread.sleep(10);
        }
    }

    private Ibal ibal() {
        ServiceReference<Ibal> ref = context.getServiceReference(Ibal.class);
        return ref == null ? null : context.getService(ref);
    }

    private List<IbalChild> children() {
        List<IbalChild> out = new ArrayList<>();
        for (DeviceObject d : io.devices()) {
            if (d.extension() instanceof IbalChild c && d.pnpState() != PnpState.DELETED) {
                out.add(c);
            }
        }
        return out;
    }

    private boolean bothBound() {
        Ibal ibal = ibal();
        return ibal != null && ibal.cas().size() == 2
                && ibal.cas().stream().allMatch(ca -> ca.state() == IbalCa.State.BOUND) && children().size() == 4;
    }

    @Test
    public void ibalBindsBothHcasAndSurvivesAnUpdateOfItsBundle() throws Exception {
        eventually(this::bothBound, "IBAL bound to hca0 and hca1 with four port children");
        List<IbalChild> before = children();
        for (IbalChild c : before) {
            assertEquals(List.of("IBA\\IPoIB"), c.device().hardwareIds());
        }
        DeviceObject hca0 = ibal().cas().stream().filter(ca -> ca.name().equals("hca0")).findFirst().orElseThrow()
                .hcaDevice();
        Bundle bundle = null;
        for (Bundle b : context.getBundles()) {
            if ("ibal-bundle".equals(b.getSymbolicName())) {
                bundle = b;
            }
        }
        assertNotNull("the IBAL bundle", bundle);
        bundle.update();
        eventually(() -> before.stream().allMatch(c -> c.device().pnpState() == PnpState.DELETED),
                "the old revision's children going");
        eventually(this::bothBound, "the new revision bound to both HCAs");
        assertTrue("the HCA stayed", ibal().cas().stream().anyMatch(ca -> ca.hcaDevice() == hca0));
        assertEquals(0, BlockingDetector.violationCount());
        assertEquals(0, DriverVerifier.bugCount());
    }
}
