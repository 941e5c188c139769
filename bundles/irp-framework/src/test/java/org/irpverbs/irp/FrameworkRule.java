package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;

import org.junit.rules.ExternalResource;

/**
 * Every framework test runs with blocking detection in FAIL mode and ends with no blocking at
 * DISPATCH and no driver bug reported, unless the test itself expects bugs (it then calls
 * {@link #expectBugs(long)}). Also provides a fresh I/O manager.
 */
public final class FrameworkRule extends ExternalResource {
    private long expectedBugs;
    private IoManager io;

    @Override
    protected void before() {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
        DriverVerifier.reset();
        expectedBugs = 0;
        io = IoManagers.create("test", 2, null);
    }

    @Override
    protected void after() {
        IoManagers.shutdown(io);
    }

    public IoManager io() {
        return io;
    }

    public IoManager newManager(DeviceInterfaceListener listener) {
        IoManagers.shutdown(io);
        io = IoManagers.create("test", 2, listener);
        return io;
    }

    public void expectBugs(long count) {
        expectedBugs = count;
    }

    /** Asserts the clean-run conditions; tests call it at their end (after() cannot fail a test cleanly). */
    public void assertClean() {
        assertEquals("blocking at DISPATCH: " + BlockingDetector.recentViolations(), 0, BlockingDetector.violationCount());
        assertEquals("driver bugs: " + DriverVerifier.recentBugs(), expectedBugs, DriverVerifier.bugCount());
    }
}
