package org.irpverbs.launcher;

import java.io.File;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.SynchronousBundleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the shipped bundles (those Felix auto-deployed from {@code bundle/}) when a jar dropped
 * into {@code load/} replaced one and is deleted again. FileInstall installs a dropped jar as a new
 * bundle, except when a bundle of the same symbolic name and version is installed already: then it
 * updates that one with the jar and manages it as its own, and deleting the jar uninstalls it, so
 * the shipped driver was gone too. Here: a shipped bundle that was updated is remembered, and when
 * it is uninstalled while the framework runs, the shipped jar is installed and started again — the
 * deleted jar's replacement is undone, which is what a user who deletes it expects.
 *
 * <p>Thread-safe: bundle events come on any thread; the reinstall runs on its own thread (a bundle
 * listener must not install bundles).
 */
final class ShippedBundles implements SynchronousBundleListener {
    private static final Logger LOG = LoggerFactory.getLogger(ShippedBundles.class);

    private final BundleContext context;
    /** Locations of shipped bundles that were updated from somewhere else since they were installed. */
    private final Set<String> replaced = ConcurrentHashMap.newKeySet();

    ShippedBundles(BundleContext context) {
        this.context = context;
    }

    void start() {
        context.addBundleListener(this);
    }

    void stop() {
        context.removeBundleListener(this);
    }

    /** {@code file:bundle/x.jar}: a jar directly in the auto-deploy folder. */
    private boolean shipped(String location) {
        String folder = context.getProperty("felix.auto.deploy.dir");
        String prefix = "file:" + (folder == null ? "bundle" : folder) + "/";
        return location.startsWith(prefix) && location.indexOf('/', prefix.length()) < 0;
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        String location = event.getBundle().getLocation();
        if (!shipped(location)) {
            return;
        }
        if (event.getType() == BundleEvent.UPDATED) {
            replaced.add(location);
        } else if (event.getType() == BundleEvent.UNINSTALLED && replaced.remove(location)
                && context.getBundle(0).getState() == Bundle.ACTIVE) {
            Thread t = new Thread(() -> reinstall(location), "irpverbs shipped-bundle reinstall");
            t.setDaemon(true);
            t.start();
        }
    }

    private void reinstall(String location) {
        File jar = new File(location.substring("file:".length()));
        if (!jar.isFile()) {
            return;
        }
        try {
            Bundle b = context.installBundle(location);
            b.start();
            LOG.info("the load/ jar that replaced {} is gone: the shipped {} {} is back", location, b.getSymbolicName(),
                    b.getVersion());
        } catch (BundleException | IllegalStateException e) {
            LOG.error("the shipped {} could not be put back: {}", location, Messages.describe(e));
        }
    }
}
