package org.irpverbs.irp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Loads every class of a code source (a classes folder or a jar) before the code runs: outside
 * OSGi, the analog of what the I/O manager component does for a driver bundle in the framework
 * (Windows' non-paged code: what runs at DISPATCH must be resident before it runs). Without it the
 * first request down a path loads that path's classes at DISPATCH, and a completion thread that
 * meets another thread loading from the same jar or class loader waits for it: the span-exit check
 * of the {@link BlockingDetector} rightly counts that wait (too short for the sampler to see it in
 * {@code loadClass}), which fails a clean-run assertion on a cold JVM.
 *
 * <p>{@link IoManagers#create} preloads the framework's own code this way; tests, benchmarks and
 * embedders preload their drivers' code with {@link #preload} before they add the drivers. A code
 * source that is not a local folder or jar (an OSGi bundle's, whose code the I/O manager
 * component loads through the bundle's wiring instead) is skipped.
 *
 * <p>Thread-safe; called at PASSIVE before any DISPATCH work.
 */
public final class CodePreloader {
    private CodePreloader() {
    }

    /**
     * Loads and initialises every class in the code source of each anchor class. A class that
     * cannot be loaded is skipped: it would not load at DISPATCH either, and its use fails there.
     *
     * @throws IllegalStateException if a local code source cannot be listed
     */
    public static void preload(Class<?>... anchors) {
        for (Class<?> anchor : anchors) {
            ClassLoader loader = anchor.getClassLoader();
            for (String name : classNames(anchor)) {
                try {
                    Class.forName(name, true, loader);
                } catch (ClassNotFoundException | LinkageError e) {
                    // a class that cannot load now would not load at DISPATCH either; its use fails there
                }
            }
        }
    }

    /** The binary names of the classes in the anchor's code source; none for one that is not local. */
    static List<String> classNames(Class<?> anchor) {
        CodeSource source = anchor.getProtectionDomain().getCodeSource();
        if (source == null) {
            return List.of(); // the JDK's own classes: loaded from the runtime image, no loader lock
        }
        if (source.getLocation() == null || !"file".equals(source.getLocation().getProtocol())) {
            return List.of(); // an OSGi bundle's: the I/O manager component loads it through the bundle's wiring
        }
        try {
            Path location = Path.of(source.getLocation().toURI());
            return Files.isDirectory(location) ? namesInFolder(location) : namesInJar(location);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("code source of " + anchor.getName() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("code source of " + anchor.getName(), e);
        }
    }

    private static List<String> namesInFolder(Path folder) throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.walk(folder)) {
            files.filter(f -> f.toString().endsWith(".class")).forEach(f -> {
                String name = className(folder.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/"));
                if (name != null) {
                    names.add(name);
                }
            });
        }
        return names;
    }

    private static List<String> namesInJar(Path jar) throws IOException {
        List<String> names = new ArrayList<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> entries = file.entries(); entries.hasMoreElements();) {
                String name = className(entries.nextElement().getName());
                if (name != null) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    /** The binary name of a class file's path, or null for what is not a class to load. */
    private static String className(String path) {
        if (!path.endsWith(".class") || path.endsWith("package-info.class") || path.endsWith("module-info.class")
                || path.startsWith("META-INF/")) {
            return null;
        }
        return path.substring(0, path.length() - ".class".length()).replace('/', '.');
    }
}
