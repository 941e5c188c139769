package org.irpverbs.hca.core.testing;

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
 * Loads every class of a code source (a classes folder or a jar) before the stack runs: outside
 * OSGi, the analog of what the I/O manager component does for a driver bundle in the framework
 * (Windows' non-paged code). Without it the first request down a path loads that path's classes
 * at DISPATCH, and a completion thread that meets another thread loading from the same jar or
 * class loader waits for it: the span-exit check rightly counts that wait (too short for the
 * sampler to see it in {@code loadClass}), which fails a clean-run assertion on a cold JVM.
 *
 * <p>Thread-safe; called at PASSIVE before any DISPATCH work.
 */
public final class CodePreloader {
    private CodePreloader() {
    }

    /** Loads and initialises every class in the code source of each anchor class. */
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

    private static List<String> classNames(Class<?> anchor) {
        CodeSource source = anchor.getProtectionDomain().getCodeSource();
        if (source == null) {
            return List.of(); // the JDK's own classes: loaded from the runtime image, no loader lock
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
