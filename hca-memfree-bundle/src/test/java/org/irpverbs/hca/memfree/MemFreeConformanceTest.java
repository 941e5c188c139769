package org.irpverbs.hca.memfree;

import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.hca.core.testing.VerbsConformance;
import org.irpverbs.hca.tavor.TavorDriver;
import org.irpverbs.softhca.HcaModel;

/**
 * The shared verbs conformance suite on two MT25208s with both drivers present: the mem-free driver
 * wins them (better ranking), so every verb runs with ICM mapped chunk by chunk.
 */
public class MemFreeConformanceTest extends VerbsConformance {
    private final MemFreeDriver driver = new MemFreeDriver(DRIVER_OPTIONS);

    @Override
    protected HcaModel model() {
        return HcaModel.MT25208;
    }

    @Override
    protected boolean memFree() {
        return true;
    }

    @Override
    protected void addDrivers(HcaTestRig rig) {
        rig.addDriver(new TavorDriver(DRIVER_OPTIONS), TavorDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID);
        rig.addDriver(driver, MemFreeDriver.RANKING, HcaModel.MEMFREE_CAPABLE_ID);
    }

    @Override
    protected org.irpverbs.irp.Driver driverUnderTest() {
        return driver;
    }
}
