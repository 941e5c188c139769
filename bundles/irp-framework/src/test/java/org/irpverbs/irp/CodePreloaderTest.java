package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * Code that runs at DISPATCH is loaded before it runs, so no completion thread loads a class there
 * (a cold JVM's first requests once failed clean-run checks: a completion DPC waited for another
 * thread loading from the same jar, and the span-exit check counted it; seen in MemFreeDriverTest
 * and in irp-shell's IrpReportsTest).
 */
public class CodePreloaderTest {
    /** A loader of its own over the framework's main classes, so that what it has loaded can be asked. */
    private static final class FreshLoader extends URLClassLoader {
        FreshLoader(URL classes) {
            super(new URL[] {classes}, CodePreloaderTest.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (name.startsWith("org.irpverbs.irp.")) {
                    Class<?> loaded = findLoadedClass(name);
                    return loaded != null ? loaded : findClass(name); // child first: the framework's own code
                }
                return super.loadClass(name, resolve);
            }
        }

        boolean loaded(String name) {
            return findLoadedClass(name) != null;
        }
    }

    private static Path frameworkClasses() throws Exception {
        return Path.of(IoManagers.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static List<String> classNamesIn(Path classes) throws Exception {
        try (Stream<Path> files = Files.walk(classes)) {
            return files.map(f -> classes.relativize(f).toString().replace('\\', '/'))
                    .filter(f -> f.endsWith(".class") && !f.endsWith("package-info.class"))
                    .map(f -> f.substring(0, f.length() - 6).replace('/', '.'))
                    .collect(Collectors.toList());
        }
    }

    @Test
    public void everyClassOfTheAnchorsCodeSourceIsLoaded() throws Exception {
        Path classes = frameworkClasses();
        List<String> names = classNamesIn(classes);
        assertTrue("the framework has classes to load: " + names, names.size() > 10);
        try (FreshLoader loader = new FreshLoader(classes.toUri().toURL())) {
            Class<?> anchor = loader.loadClass(Irp.class.getName());
            assertEquals("the anchor came from the fresh loader", loader, anchor.getClassLoader());
            assertTrue("a fresh loader has loaded almost nothing yet",
                    names.stream().filter(loader::loaded).count() < names.size());

            Class.forName(CodePreloader.class.getName(), true, loader).getMethod("preload", Class[].class)
                    .invoke(null, (Object) new Class<?>[] {anchor});

            List<String> missing = names.stream().filter(n -> !loader.loaded(n)).collect(Collectors.toList());
            assertEquals("classes left to load at DISPATCH", List.of(), missing);
        }
    }

    @Test
    public void creatingAnIoManagerLoadsTheFrameworksCode() throws Exception {
        Path classes = frameworkClasses();
        List<String> names = classNamesIn(classes);
        try (FreshLoader loader = new FreshLoader(classes.toUri().toURL())) {
            Class<?> managers = loader.loadClass(IoManagers.class.getName());
            Object io = managers.getMethod("create", String.class, int.class,
                    loader.loadClass(DeviceInterfaceListener.class.getName())).invoke(null, "preload-test", 1, null);
            try {
                List<String> missing = names.stream().filter(n -> !loader.loaded(n)).collect(Collectors.toList());
                assertEquals("framework classes a completion thread would load at DISPATCH", List.of(), missing);
            } finally {
                managers.getMethod("shutdown", loader.loadClass(IoManager.class.getName())).invoke(null, io);
            }
        }
    }

    @Test
    public void aCodeSourceThatIsNoLocalFileIsSkipped() throws Exception {
        assertEquals("the JDK's classes have no code source", List.of(), CodePreloader.classNames(String.class));
        // as an OSGi bundle's is (Felix's bundle:// scheme): the bundle's wiring lists its classes instead
        Class<?> fromABundle = new ClassLoader(getClass().getClassLoader()) {
            Class<?> define() throws Exception {
                byte[] code = Files.readAllBytes(frameworkClasses().resolve("org/irpverbs/irp/NtStatus.class"));
                return defineClass(NtStatus.class.getName(), code, 0, code.length,
                        new java.security.ProtectionDomain(new java.security.CodeSource(
                                new URL("http://127.0.0.1:9/bundle.jar"), (java.security.cert.Certificate[]) null), null));
            }
        }.define();
        assertEquals(List.of(), CodePreloader.classNames(fromABundle));
        assertTrue("a local folder is listed", CodePreloader.classNames(Irp.class).contains(Irp.class.getName()));
    }
}
