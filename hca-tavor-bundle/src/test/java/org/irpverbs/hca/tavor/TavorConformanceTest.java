package org.irpverbs.hca.tavor;

import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.hca.core.testing.VerbsConformance;
import org.irpverbs.softhca.HcaModel;

/** The shared verbs conformance suite on two MT23108s run by the Tavor driver. */
public class TavorConformanceTest extends VerbsConformance {
    private final TavorDriver driver = new TavorDriver(DRIVER_OPTIONS);

    @Override
    protected HcaModel model() {
        return HcaModel.MT23108;
    }

    @Override
    protected boolean memFree() {
        return false;
    }

    @Override
    protected void addDrivers(HcaTestRig rig) {
        rig.addDriver(driver, TavorDriver.RANKING, HcaModel.TAVOR_COMPATIBLE_ID, TavorDriver.MT23108_PCI_ID);
    }

    @Override
    protected org.irpverbs.irp.Driver driverUnderTest() {
        return driver;
    }
}
