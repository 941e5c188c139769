package org.irpverbs.launcher;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.Version;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * What the hot-deploy folder ({@code load/}, FileInstall's {@code felix.fileinstall.dir}) held when
 * {@code bin/irpverbs -c} started, and which of it the framework has not taken up yet: a bundle jar
 * is taken up when a bundle of its symbolic name and version is active (or resolved, for a
 * fragment); a {@code .cfg}/{@code .config} file when ConfigAdmin holds a configuration that
 * FileInstall made from it ({@code felix.fileinstall.filename}). Delivering those configurations to
 * their targets is the ConfigAdmin barrier's part ({@link BatchRun}).
 *
 * <p>Not thread-safe: the batch thread only.
 */
final class LoadFolder {
    static final String FILENAME = "felix.fileinstall.filename";

    private record Jar(File file, String symbolicName, Version version) {
    }

    private final File folder;
    private final List<Jar> jars = new ArrayList<>();
    private final List<File> configurations = new ArrayList<>();
    private final List<String> notBundles = new ArrayList<>();

    LoadFolder(File folder) {
        this.folder = folder;
        File[] files = folder.listFiles();
        if (files == null) {
            return;
        }
        Arrays.sort(files);
        for (File f : files) {
            String name = f.getName();
            if (!f.isFile() || name.startsWith(".")) {
                continue;
            }
            if (name.endsWith(".jar")) {
                try (JarFile jar = new JarFile(f)) {
                    Manifest manifest = jar.getManifest();
                    String bsn = manifest == null ? null : manifest.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
                    if (bsn == null) {
                        notBundles.add(name + " has no Bundle-SymbolicName");
                        continue;
                    }
                    String version = manifest.getMainAttributes().getValue(Constants.BUNDLE_VERSION);
                    jars.add(new Jar(f, bsn.split(";")[0].trim(), Version.parseVersion(version == null ? null : version.trim())));
                } catch (IOException | IllegalArgumentException e) {
                    notBundles.add(name + " cannot be read as a bundle: " + Messages.describe(e));
                }
            } else if (name.endsWith(".cfg") || name.endsWith(".config")) {
                configurations.add(f);
            }
        }
    }

    /** Jars that cannot be bundles: FileInstall cannot take them up, so nobody waits for them. */
    List<String> notBundles() {
        return notBundles;
    }

    /** What is not taken up yet, one phrase each; empty when everything is. */
    List<String> pending(BundleContext context, ConfigurationAdmin configAdmin) throws IOException {
        List<String> pending = new ArrayList<>();
        for (Jar jar : jars) {
            String state = "not installed";
            for (Bundle b : context.getBundles()) {
                if (jar.symbolicName().equals(b.getSymbolicName()) && jar.version().equals(b.getVersion())) {
                    boolean fragment = b.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
                    if (b.getState() == Bundle.ACTIVE || (fragment && b.getState() == Bundle.RESOLVED)) {
                        state = null;
                        break;
                    }
                    state = b.getState() == Bundle.INSTALLED ? "installed, not resolved" : "not started";
                }
            }
            if (state != null) {
                pending.add(relative(jar.file()) + " (bundle " + jar.symbolicName() + " " + jar.version() + ": " + state + ")");
            }
        }
        if (!configurations.isEmpty()) {
            Set<String> made = madeFrom(configAdmin);
            for (File f : configurations) {
                if (!made.contains(f.getCanonicalPath())) {
                    pending.add(relative(f) + " (no configuration made from it yet)");
                }
            }
        }
        return pending;
    }

    /** The canonical paths of the files ConfigAdmin's configurations were made from. */
    private static Set<String> madeFrom(ConfigurationAdmin configAdmin) throws IOException {
        Set<String> paths = new HashSet<>();
        if (configAdmin == null) {
            return paths;
        }
        Configuration[] all;
        try {
            all = configAdmin.listConfigurations("(" + FILENAME + "=*)");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (all == null) {
            return paths;
        }
        for (Configuration c : all) {
            Object name = c.getProperties() == null ? null : c.getProperties().get(FILENAME);
            if (name != null) {
                try {
                    paths.add(new File(URI.create(name.toString())).getCanonicalPath());
                } catch (IllegalArgumentException e) {
                    // not a file: URI; not one of ours
                }
            }
        }
        return paths;
    }

    private String relative(File f) {
        return folder.getName() + "/" + f.getName();
    }
}
