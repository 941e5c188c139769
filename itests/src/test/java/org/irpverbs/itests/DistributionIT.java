package org.irpverbs.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Assume;
import org.junit.Test;

/**
 * Starts the assembled distribution the way a user does, {@code bin/irpverbs -c '<command>'},
 * on the build JDK and on Temurin 25 where it is installed, and reads what it prints.
 */
public class DistributionIT {
    private static final File HOME = new File("../distribution/target/irpverbs").getAbsoluteFile();
    private static final File TEMURIN_25 = new File("/usr/lib/jvm/temurin-25-jdk-amd64");

    record Run(int exitCode, String stdout, String stderr) {
    }

    private static Run irpverbs(String javaHome, String command) throws IOException, InterruptedException {
        File script = new File(HOME, "bin/irpverbs");
        assertTrue("build the distribution first: " + script, script.canExecute());
        List<String> cmd = new ArrayList<>(List.of(script.getPath(), "-c", command));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (javaHome != null) {
            pb.environment().put("JAVA_HOME", javaHome);
        }
        File out = File.createTempFile("irpverbs", ".out");
        File err = File.createTempFile("irpverbs", ".err");
        pb.redirectOutput(out).redirectError(err).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("bin/irpverbs -c '" + command + "' did not exit within 120 s");
        }
        Run run = new Run(p.exitValue(), java.nio.file.Files.readString(out.toPath(), StandardCharsets.UTF_8),
                java.nio.file.Files.readString(err.toPath(), StandardCharsets.UTF_8));
        out.delete();
        err.delete();
        return run;
    }

    private static void assertSampleStack(Run run) {
        assertEquals(run.stderr(), 0, run.exitCode());
        assertTrue(run.stdout(), run.stdout().contains("SampleEchoFunction"));
        assertTrue(run.stdout(), run.stdout().contains("IRPVERBS\\SAMPLE_ECHO"));
        assertTrue(run.stdout(), run.stdout().contains("STARTED"));
        assertTrue("slf4j logs through slf4j-simple, not NOP: " + run.stderr(), run.stderr().contains("I/O manager started"));
    }

    @Test
    public void stacksCommandPrintsTheSampleStack() throws Exception {
        assertSampleStack(irpverbs(System.getProperty("java.home"), "irp:stacks"));
    }

    @Test
    public void statsCommandPrintsCounters() throws Exception {
        Run run = irpverbs(System.getProperty("java.home"), "irp:stats");
        assertEquals(run.stderr(), 0, run.exitCode());
        assertTrue(run.stdout(), run.stdout().contains("SampleEcho0"));
    }

    @Test
    public void unknownCommandFailsWithAMessage() throws Exception {
        Run run = irpverbs(System.getProperty("java.home"), "irp:nosuchcommand");
        assertTrue("exit code " + run.exitCode(), run.exitCode() != 0);
        assertTrue(run.stderr(), run.stderr().toLowerCase().contains("nosuchcommand"));
    }

    @Test
    public void runsOnTemurin25() throws Exception {
        Assume.assumeTrue("Temurin 25 is not installed here", new File(TEMURIN_25, "bin/java").canExecute());
        assertSampleStack(irpverbs(TEMURIN_25.getPath(), "irp:stacks"));
    }
}
