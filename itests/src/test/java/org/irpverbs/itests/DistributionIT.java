package org.irpverbs.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Assume;
import org.junit.Test;

/**
 * Starts the assembled distribution the way a user does, {@code bin/irpverbs -c '<command>'},
 * on the build JDK and on Temurin 25 where it is installed, and reads what it prints. Tests that
 * change {@code load/} work on their own copy of the distribution; every run gets its own
 * {@code TMPDIR}, where {@code bin/irpverbs} keeps the run's framework storage and the marker the
 * launcher writes when the command starts.
 */
public class DistributionIT {
    /** The assembled distribution ({@code -Dirpverbs.distribution=<dir>} to try another build). */
    private static final File HOME = new File(System.getProperty("irpverbs.distribution",
            "../distribution/target/irpverbs")).getAbsoluteFile();
    private static final File TEMURIN_25 = new File("/usr/lib/jvm/temurin-25-jdk-amd64");
    /** A generous bound for one run on a loaded two-core machine: liveness, not speed. */
    private static final long RUN_SECONDS = 180;

    private final List<Path> temporary = new ArrayList<>();

    record Run(int exitCode, String stdout, String stderr) {
    }

    /** A started {@code bin/irpverbs -c}: its process, its TMPDIR, its output files. */
    private record Started(String command, Process process, Path tmp, File out, File err) {
        Run await() throws IOException, InterruptedException {
            if (!process.waitFor(RUN_SECONDS, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new AssertionError("bin/irpverbs -c '" + command + "' did not exit within " + RUN_SECONDS + " s: "
                        + Files.readString(err.toPath(), StandardCharsets.UTF_8));
            }
            return new Run(process.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
                    Files.readString(err.toPath(), StandardCharsets.UTF_8));
        }

        /** Waits until the launcher has started the command (it writes {@code started} in the run's folder). */
        void awaitCommandStarted() throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUN_SECONDS);
            while (System.nanoTime() < deadline) {
                try (Stream<Path> runs = Files.list(tmp)) {
                    if (runs.anyMatch(run -> Files.exists(run.resolve("started")))) {
                        return;
                    }
                }
                if (!process.isAlive()) {
                    throw new AssertionError("bin/irpverbs -c '" + command + "' ended before its command started: "
                            + Files.readString(err.toPath(), StandardCharsets.UTF_8));
                }
                // polling a file the launcher writes once; the bound above is the liveness limit
                Thread.sleep(50);
            }
            throw new AssertionError("the command did not start within " + RUN_SECONDS + " s");
        }
    }

    @After
    public void deleteTemporaryFiles() throws IOException {
        for (Path p : temporary) {
            deleteTree(p);
        }
    }

    private Path temporaryDirectory(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        temporary.add(dir);
        return dir;
    }

    private Started start(File home, String javaHome, Map<String, String> environment, String command) throws IOException {
        File script = new File(home, "bin/irpverbs");
        assertTrue("build the distribution first: " + script, script.canExecute());
        // as from a user's terminal, where SIGINT is never ignored: a build started as a background
        // job (nohup, a CI step, `cmd &` in a script) ignores SIGINT and SIGQUIT, every process it
        // starts inherits that, and bash cannot trap a signal ignored at its entry, so a Ctrl-C
        // test would hang (seen: SigIgn 0x7 in a background verify loop)
        ProcessBuilder pb = new ProcessBuilder(List.of("env", "--default-signal=INT,QUIT", script.getPath(), "-c", command));
        if (javaHome != null) {
            pb.environment().put("JAVA_HOME", javaHome);
        }
        Path tmp = temporaryDirectory("irpverbs-run");
        pb.environment().put("TMPDIR", tmp.toString());
        pb.environment().putAll(environment);
        File out = tmp.resolve("stdout").toFile();
        File err = tmp.resolve("stderr").toFile();
        pb.redirectOutput(out).redirectError(err).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        return new Started(command, pb.start(), tmp, out, err);
    }

    private Run irpverbs(String javaHome, String command) throws IOException, InterruptedException {
        return start(HOME, javaHome, Map.of(), command).await();
    }

    private Run irpverbs(File home, Map<String, String> environment, String command) throws IOException, InterruptedException {
        return start(home, System.getProperty("java.home"), environment, command).await();
    }

    /** A copy of the distribution whose load/ a test may change. */
    private File copyOfTheDistribution() throws IOException {
        Path copy = temporaryDirectory("irpverbs-home").resolve("irpverbs");
        Path from = HOME.toPath();
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = copy.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else if (!from.relativize(p).startsWith("log")) {
                    Files.copy(p, to, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return copy.toFile();
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Writes a file beside load/ and moves it in, as the load/ README says to. */
    private static void dropIntoLoad(File home, String name, String content) throws IOException {
        Path staged = home.toPath().resolve(name + ".part");
        Files.writeString(staged, content);
        Files.move(staged, home.toPath().resolve("load").resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    private static List<String> hcaIds(String devinfo) {
        return devinfo.lines().filter(l -> l.startsWith("hca_id:")).map(l -> l.substring("hca_id:".length()).trim())
                .toList();
    }

    private static long count(String text, String part) {
        long n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
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

    /**
     * Issue 11: the default distribution runs IBAL bound to both HCAs, with a child device per
     * port ({@code IBA\IPoIB}, instance ID the port GUID), and ib:stat lists all four ports.
     */
    @Test
    public void ibalRunsOnBothShippedHcasWithAChildPerPort() throws Exception {
        Run devices = irpverbs(System.getProperty("java.home"), "ib:devices");
        assertEquals(devices.stderr(), 0, devices.exitCode());
        String out = devices.stdout();
        assertTrue(out, out.startsWith("IBAL: ibal0 (Ibal, STARTED"));
        assertTrue(out, out.contains("2 CA(s)"));
        assertEquals(out, 2, count(out, "IBAL: BOUND, verbs interface 1.0"));
        for (String hca : List.of("hca0", "hca1")) {
            for (int port = 1; port <= 2; port++) {
                assertTrue(out, out.contains(hca + "-port" + port + "-ipoib0"));
            }
        }
        assertEquals(out, 4, count(out, "ACTIVE IBA\\IPoIB\\0002c903"));
        Run stat = irpverbs(System.getProperty("java.home"), "ib:stat");
        assertEquals(stat.stderr(), 0, stat.exitCode());
        assertEquals(stat.stdout(), 4, count(stat.stdout(), "\t\tState: Active"));
        assertEquals(stat.stdout(), 2, count(stat.stdout(), "\tNumber of ports: 2"));
        Run objects = irpverbs(System.getProperty("java.home"), "ib:objects");
        assertEquals(objects.stderr(), 0, objects.exitCode());
        assertTrue(objects.stdout(), objects.stdout().contains("no IBAL client has a device stack running"));
    }

    /**
     * Issue 10 §4.1: adding one HCA configuration (the hca-bus README's example) silently removed the
     * two default HCAs, and writing those down as configurations changed their node GUIDs.
     */
    @Test
    public void addingAnHcaConfigurationKeepsTheShippedHcasAndTheirGuids() throws Exception {
        File home = copyOfTheDistribution();
        dropIntoLoad(home, "org.irpverbs.hca.hardware-hca2.cfg", "name=hca2\nmodel=MT25204\nports=1\nportLids=7\n");
        Run run = irpverbs(home, Map.of(), "ib:devinfo");
        assertEquals(run.stderr(), 0, run.exitCode());
        assertEquals(run.stdout(), List.of("hca0", "hca1", "hca2"), hcaIds(run.stdout()));
        assertTrue(run.stdout(), run.stdout().contains("node_guid:\t\t\t0002:c903:0000:1000"));
        assertTrue(run.stdout(), run.stdout().contains("node_guid:\t\t\t0002:c903:0000:2000"));
        assertTrue(run.stdout(), run.stdout().contains("node_guid:\t\t\t0002:c903:0000:3000"));
        // the shipped HCAs are files a user sees and edits
        assertTrue(new File(home, "load/org.irpverbs.hca.hardware-hca0.cfg").isFile());
        assertTrue(new File(home, "load/org.irpverbs.hca.hardware-hca1.cfg").isFile());
    }

    /**
     * Issue 10 §4.3: {@code -c} did not wait for the configurations in load/ (3 of 13 runs showed the
     * defaults). Several HCAs configured: every run shows every one of them, with its driver.
     */
    @Test
    public void minusCRunsItsCommandOnlyOnceLoadIsProcessed() throws Exception {
        File home = copyOfTheDistribution();
        for (int i = 2; i <= 5; i++) {
            dropIntoLoad(home, "org.irpverbs.hca.hardware-hca" + i + ".cfg",
                    "name=hca" + i + "\nmodel=MT25204\nports=1\nportLids=" + (10 + i) + "\n");
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            Run run = irpverbs(home, Map.of(), "ib:devinfo");
            assertEquals(run.stderr(), 0, run.exitCode());
            assertEquals("run " + attempt + ": " + run.stdout(), List.of("hca0", "hca1", "hca2", "hca3", "hca4", "hca5"),
                    hcaIds(run.stdout()));
            assertFalse(run.stdout(), run.stdout().contains("(no driver)"));
        }
    }

    /**
     * Issue 10 §4.2: four runs at once from one distribution shared the Felix cache (stack traces, one
     * hung for ten minutes). Each run has its own storage; all succeed.
     */
    @Test
    public void runsStartedAtTheSameTimeFromOneDistributionAllSucceed() throws Exception {
        List<Started> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            runs.add(start(HOME, System.getProperty("java.home"), Map.of(), "ib:devinfo"));
        }
        for (Started started : runs) {
            Run run = started.await();
            assertEquals(run.stderr(), 0, run.exitCode());
            assertEquals(run.stdout(), List.of("hca0", "hca1"), hcaIds(run.stdout()));
            assertFalse(run.stderr(), run.stderr().contains("Exception"));
        }
        assertFalse("a shared cache/ folder in the distribution", new File(HOME, "cache").exists());
    }

    /**
     * Issue 10 §4.2: {@code -c} must never hang. A bundle in load/ that can never resolve keeps the
     * system from being ready: the run ends at its deadline and says what it waited for.
     */
    @Test
    public void aSystemThatCannotGetReadyEndsAtTheStartUpDeadlineWithAMessage() throws Exception {
        File home = copyOfTheDistribution();
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
        manifest.getMainAttributes().putValue("Bundle-SymbolicName", "unresolvable");
        manifest.getMainAttributes().putValue("Bundle-Version", "1.0.0");
        manifest.getMainAttributes().putValue("Import-Package", "no.such.pkg");
        Path staged = home.toPath().resolve("unresolvable.jar");
        try (OutputStream out = Files.newOutputStream(staged); JarOutputStream jar = new JarOutputStream(out, manifest)) {
            jar.flush();
        }
        Files.move(staged, home.toPath().resolve("load/unresolvable.jar"), StandardCopyOption.ATOMIC_MOVE);
        Run run = irpverbs(home, Map.of("IRPVERBS_START_TIMEOUT", "5"), "ib:devinfo");
        assertEquals(run.stderr(), 1, run.exitCode());
        assertEquals("the command did not run", "", run.stdout());
        assertTrue(run.stderr(), run.stderr().contains("irpverbs: the system was not ready within 5 s"));
        assertTrue(run.stderr(), run.stderr().contains("load/unresolvable.jar (bundle unresolvable 1.0.0: installed, not resolved)"));
    }

    /** Issue 10 §4.6: Ctrl-C was ignored in -c mode. SIGINT interrupts the command; the exit status is 130. */
    @Test
    public void sigintStopsTheRunningCommandAndExitsWith130() throws Exception {
        for (String command : List.of("sleep 600", "ib:send_lat hca0 1 hca1 1 -n 1000000")) {
            Started started = start(HOME, System.getProperty("java.home"), Map.of(), command);
            started.awaitCommandStarted();
            Process kill = new ProcessBuilder("kill", "-INT", String.valueOf(started.process().pid())).inheritIO().start();
            assertEquals(0, kill.waitFor());
            Run run = started.await();
            assertEquals(command + ": " + run.stderr(), 130, run.exitCode());
            assertFalse(run.stderr(), run.stderr().contains("\tat "));
        }
    }

    /**
     * Issue 10 §4.11: a bad -Dirpverbs.blocking gave a 58-line stack trace and then "Command not
     * found". One line says what is wrong, and the system runs with the default.
     */
    @Test
    public void aBadBlockingOptionIsOneLineNotAStackTrace() throws Exception {
        Run run = irpverbs(HOME, Map.of("JAVA_OPTS", "-Dirpverbs.blocking=bogus"), "irp:stats");
        assertEquals(run.stderr(), 0, run.exitCode());
        assertTrue(run.stdout(), run.stdout().contains("SampleEcho0"));
        assertEquals(run.stderr(), 1, count(run.stderr(), "irpverbs.blocking must be one of off, report, fail; was 'bogus'; using report"));
        assertFalse(run.stderr(), run.stderr().contains("\tat "));
        assertFalse(run.stderr(), run.stderr().contains("Exception"));
    }

    /** Issue 10 §4.11: errors came prefixed with Java class names ({@code java.lang.IllegalArgumentException:}). */
    @Test
    public void errorsAreOneLineWithoutJavaClassNames() throws Exception {
        Run unknown = irpverbs(HOME, Map.of(), "irp:nosuchcommand");
        assertEquals(unknown.stderr(), 1, unknown.exitCode());
        assertTrue(unknown.stderr(), unknown.stderr().contains("irpverbs: Command not found: irp:nosuchcommand"));
        Run badHca = irpverbs(HOME, Map.of(), "ib:write_bw nosuchhca 1 hca1 1 -n 1");
        assertEquals(badHca.stderr(), 1, badHca.exitCode());
        assertTrue(badHca.stderr(), badHca.stderr().contains("irpverbs: ib:write_bw: no HCA named 'nosuchhca'"));
        for (Run run : List.of(unknown, badHca)) {
            String last = run.stderr().lines().filter(l -> l.startsWith("irpverbs: ")).reduce((a, b) -> b).orElse("");
            assertFalse(last, last.matches(".*\\b(java|org)\\.[a-z]+\\.[\\w.]*(Exception|Error)\\b.*"));
        }
    }

    /**
     * Issue 10 §4.10: a misspelt key ({@code portLid=62}) was accepted silently (a port with LID 0),
     * and a duplicate configuration was logged again on every re-enumeration. Each is reported by
     * name, once.
     */
    @Test
    public void aMisspeltKeyAndADuplicateInLoadAreEachReportedOnce() throws Exception {
        File home = copyOfTheDistribution();
        dropIntoLoad(home, "org.irpverbs.hca.hardware-hca3.cfg", "name=hca3\nmodel=MT25204\nports=1\nportLid=62\n");
        dropIntoLoad(home, "org.irpverbs.hca.hardware-copy.cfg", "name=hca1\nmodel=MT25204\nports=1\nportLids=9\n");
        Run run = irpverbs(home, Map.of(), "ib:devinfo");
        assertEquals(run.stderr(), 0, run.exitCode());
        assertEquals(run.stdout(), List.of("hca0", "hca1"), hcaIds(run.stdout()));
        assertEquals(run.stderr(), 1, count(run.stderr(), "describes no soft HCA: unknown property portLid (did you mean portLids?)"));
        assertTrue(run.stderr(), run.stderr().contains("load/org.irpverbs.hca.hardware-hca3.cfg"));
        assertEquals(run.stderr(), 1, count(run.stderr(), "is ignored: another configuration has its name hca1"));
    }

    /** Polls a file a process appends to until it contains {@code text}; the bound is liveness only. */
    private static String awaitText(Path file, String text, Process process) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUN_SECONDS);
        while (System.nanoTime() < deadline) {
            String content = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
            if (content.contains(text)) {
                return content;
            }
            if (!process.isAlive()) {
                throw new AssertionError("ended before '" + text + "' appeared in " + file + ": " + content);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("'" + text + "' did not appear in " + file + " within " + RUN_SECONDS + " s");
    }

    /**
     * Issue 10 §4.9: deleting a jar dropped into load/ with the shipped driver's name and version
     * uninstalled the shipped driver (FileInstall had updated it and took it as its own). Deleting it
     * gives the shipped driver back. Also §4.11: the interactive shell's logs go to log/irpverbs.log,
     * not over the line being typed.
     */
    @Test
    public void deletingAJarThatReplacedAShippedDriverGivesTheShippedDriverBack() throws Exception {
        File home = copyOfTheDistribution();
        Path tmp = temporaryDirectory("irpverbs-run");
        ProcessBuilder pb = new ProcessBuilder(new File(home, "bin/irpverbs").getPath());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("TMPDIR", tmp.toString());
        Path out = tmp.resolve("stdout");
        pb.redirectErrorStream(true).redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        Process shell = pb.start();
        try (OutputStream typed = shell.getOutputStream()) {
            awaitText(out, "irpverbs: 'lb' lists bundles", shell);
            Path log = home.toPath().resolve("log/irpverbs.log");
            Path staged = home.toPath().resolve("tavor.jar");
            Files.copy(home.toPath().resolve("bundle/hca-tavor-bundle.jar"), staged);
            Files.move(staged, home.toPath().resolve("load/tavor.jar"), StandardCopyOption.ATOMIC_MOVE);
            awaitText(log, "Updating this bundle instead", shell);
            awaitText(log, "Started bundle: file:" + home.toPath().resolve("bundle/hca-tavor-bundle.jar"), shell);
            Files.delete(home.toPath().resolve("load/tavor.jar"));
            awaitText(log, "the shipped hca-tavor-bundle", shell);
            typed.write("ib:devinfo\necho \"END\" \"OF-TEST\"\n".getBytes(StandardCharsets.UTF_8));
            typed.flush();
            String printed = awaitText(out, "END OF-TEST", shell);
            assertTrue(printed, printed.contains("driver:\t\t\t\tTavorHca"));
            assertFalse(printed, printed.contains("(no driver)"));
            assertFalse("log lines on the terminal: " + printed, printed.contains("[INFO]"));
            assertTrue(printed, printed.contains("irpverbs: logs go to " + log));
        }
        // stdin closed: Ctrl-D, the shell stops the framework
        assertTrue("the shell did not stop after Ctrl-D", shell.waitFor(RUN_SECONDS, TimeUnit.SECONDS));
    }
}
