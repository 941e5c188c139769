package org.irpverbs.launcher;

import java.io.File;
import java.io.IOException;
import java.net.URI;
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

    /** A {@code file:} location of a jar directly in the auto-deploy folder ({@code bundle/}). */
    private boolean shipped(String location) {
        File jar = jar(location);
        if (jar == null) {
            return false;
        }
        String folder = context.getProperty("felix.auto.deploy.dir");
        try {
            File deployed = new File(folder == null || folder.isBlank() ? "bundle" : folder.trim()).getCanonicalFile();
            File parent = jar.getAbsoluteFile().getParentFile();
            return parent != null && parent.getCanonicalFile().equals(deployed);
        } catch (IOException e) {
            return false;
        }
    }

    /** The file of a {@code file:} location (Felix's auto-deploy writes absolute ones), or null. */
    private static File jar(String location) {
        if (!location.startsWith("file:")) {
            return null;
        }
        try {
            return new File(URI.create(location));
        } catch (IllegalArgumentException e) {
            // file:relative/path is no hierarchical URI
            return new File(location.substring("file:".length()));
        }
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
        File jar = jar(location);
        if (jar == null || !jar.isFile()) {
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
