package org.irpverbs.launcher;

import org.osgi.annotation.bundle.Header;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;

/**
 * Starts the distribution's launcher side: in {@code bin/irpverbs -c} mode ({@value BatchRun#COMMAND}
 * set) the {@link BatchRun}; in every mode the {@link ShippedBundles} keeper. Started at level 4,
 * with the shell and FileInstall (conf/config.properties).
 */
@Header(name = Constants.BUNDLE_ACTIVATOR, value = "${@class}")
public final class Activator implements BundleActivator {
    private BatchRun batch;
    private ShippedBundles shipped;

    @Override
    public void start(BundleContext context) {
        shipped = new ShippedBundles(context);
        shipped.start();
        String command = context.getProperty(BatchRun.COMMAND);
        if (command != null) {
            batch = new BatchRun(context, command);
            batch.start();
        }
    }

    @Override
    public void stop(BundleContext context) {
        if (batch != null) {
            batch.stop();
        }
        shipped.stop();
    }
}
