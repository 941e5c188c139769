package org.irpverbs.hca.core.testing;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.irpverbs.hca.core.HcaDevice;
import org.junit.Test;

/**
 * The rig loads the HCA driver's code before it runs, so no completion thread loads a class at
 * DISPATCH (a cold JVM's first verbs once failed MemFreeDriverTest's clean-run check: a completion
 * DPC waited for another thread loading from the same jar, and the span-exit check counted it).
 */
public class CodePreloaderTest {
    /** A loader of its own over hca-core's classes, so that what it has loaded can be asked. */
    private static final class FreshLoader extends URLClassLoader {
        FreshLoader(URL classes) {
            super(new URL[] {classes}, CodePreloaderTest.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (name.startsWith("org.irpverbs.hca.core.") && !name.startsWith("org.irpverbs.hca.core.testing.")) {
                    Class<?> loaded = findLoadedClass(name);
                    return loaded != null ? loaded : findClass(name); // child first: hca-core's own code
                }
                return super.loadClass(name, resolve);
            }
        }

        boolean loaded(String name) {
            return findLoadedClass(name) != null;
        }
    }

    @Test
    public void everyClassOfTheDriverCodeIsLoadedBeforeTheStackRuns() throws Exception {
        Path classes = Path.of(HcaDevice.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> names;
        try (Stream<Path> files = Files.walk(classes)) {
            names = files.map(f -> classes.relativize(f).toString().replace('\\', '/'))
                    .filter(f -> f.endsWith(".class") && !f.endsWith("package-info.class"))
                    .map(f -> f.substring(0, f.length() - 6).replace('/', '.'))
                    .collect(Collectors.toList());
        }
        assertTrue("hca-core has classes to load: " + names, names.size() > 10);
        try (FreshLoader loader = new FreshLoader(classes.toUri().toURL())) {
            Class<?> anchor = loader.loadClass(HcaDevice.class.getName());
            assertEquals("the anchor came from the fresh loader", loader, anchor.getClassLoader());
            long before = names.stream().filter(loader::loaded).count();
            assertTrue("a fresh loader has loaded almost nothing yet", before < names.size());

            CodePreloader.preload(anchor);

            List<String> missing = names.stream().filter(n -> !loader.loaded(n)).collect(Collectors.toList());
            assertEquals("classes left to load at DISPATCH", List.of(), missing);
        }
    }
}
