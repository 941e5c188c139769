package org.irpverbs.itests;

import javax.inject.Inject;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.junit.After;
import org.junit.Before;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.BundleContext;

/**
 * What every container test of the sample stack shares: the container, the injected framework
 * services, an echo client, and counters reset before each test so its own assertions count.
 */
public abstract class EchoContainerTest {
    @Inject
    protected BundleContext context;

    @Inject
    protected IoManager io;

    protected EchoClient echo;

    @Configuration
    public Option[] config() {
        return Containers.irpverbs();
    }

    @Before
    public void openEchoClient() {
        echo = new EchoClient(context);
        BlockingDetector.reset();
        DriverVerifier.reset();
    }

    @After
    public void closeEchoClient() {
        echo.close();
    }
}
