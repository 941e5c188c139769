package org.irpverbs.itests;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;
import static org.ops4j.pax.exam.CoreOptions.bootDelegationPackages;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import org.ops4j.pax.exam.Option;

/** The container every integration test boots: the distribution's runtime plus the irpverbs bundles. */
final class Containers {
    private Containers() {}

    /**
     * A reactor module's jar, by file URL (mvn verify does not install them): {@code module} is its
     * folder relative to the root, e.g. {@code bundles/irp-framework} or {@code hca-tavor-bundle}.
     */
    static File projectJar(String module, String artifactId) {
        File jar = new File("../" + module + "/target/" + artifactId + "-" + System.getProperty("irpverbs.version",
                "0.1.0-SNAPSHOT") + ".jar").getAbsoluteFile();
        if (!jar.isFile()) {
            throw new IllegalStateException("build the bundles first: " + jar + " is missing");
        }
        return jar;
    }

    /** A bundle of the bundles/ folder. */
    static String projectBundle(String artifactId) {
        return projectJar("bundles/" + artifactId, artifactId).toURI().toString();
    }

    /** A top-level module's bundle (hca-tavor-bundle, hca-memfree-bundle). */
    static String topLevelBundle(String artifactId) {
        return projectJar(artifactId, artifactId).toURI().toString();
    }

    static Option[] irpverbs() {
        return options(
                // slf4j-simple sits on the test class path too; keep the container's class space its own
                frameworkProperty("felix.bootdelegation.implicit").value("false"),
                // JFR for the blocking detector's attribution of brief contention at DISPATCH; its
                // event classes are instrumented with references to jdk.jfr.internal.*, which only
                // boot delegation makes visible to the bundle that defines them
                systemPackages("jdk.jfr", "jdk.jfr.consumer"),
                bootDelegationPackages("jdk.jfr", "jdk.jfr.*"),
                systemProperty("irpverbs.blocking").value(System.getProperty("irpverbs.blocking", "fail")),
                systemProperty("org.slf4j.simpleLogger.defaultLogLevel").value("warn"),
                // slf4j 2 finds its provider through the ServiceLoader mediator, which must start first
                mavenBundle("org.ow2.asm", "asm").versionAsInProject().startLevel(1),
                mavenBundle("org.ow2.asm", "asm-commons").versionAsInProject().startLevel(1),
                mavenBundle("org.ow2.asm", "asm-util").versionAsInProject().startLevel(1),
                mavenBundle("org.ow2.asm", "asm-tree").versionAsInProject().startLevel(1),
                mavenBundle("org.ow2.asm", "asm-analysis").versionAsInProject().startLevel(1),
                mavenBundle("org.apache.aries.spifly", "org.apache.aries.spifly.dynamic.bundle").versionAsInProject()
                        .startLevel(1),
                mavenBundle("org.slf4j", "slf4j-api").versionAsInProject().startLevel(2),
                mavenBundle("org.slf4j", "slf4j-simple").versionAsInProject().startLevel(2),
                mavenBundle("org.osgi", "org.osgi.util.function").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.util.promise").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.service.component").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.scr").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.configadmin").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.runtime").versionAsInProject(),
                bundle(projectBundle("irp-framework")),
                bundle(projectBundle("irp-shell")),
                bundle(projectBundle("sample-echo-bus")),
                bundle(projectBundle("sample-echo-driver")),
                bundle(projectBundle("verbs-api")),
                bundle(projectBundle("softhca")),
                bundle(projectBundle("hca-core")),
                bundle(projectBundle("hca-bus")),
                bundle(topLevelBundle("hca-tavor-bundle")),
                bundle(topLevelBundle("hca-memfree-bundle")),
                bundle(projectBundle("ibal-api")),
                bundle(topLevelBundle("ibal-bundle")),
                bundle(projectBundle("ib-shell")),
                junitBundles());
    }
}
