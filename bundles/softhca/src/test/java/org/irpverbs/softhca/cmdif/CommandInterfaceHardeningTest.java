package org.irpverbs.softhca.cmdif;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.irpverbs.softhca.cmdif.Await.awaitTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.ExecutionLevel;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpMinorFunction;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.CommandStatus;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * What broke in the command interface when the firmware refused posts or answered late (issue
 * 10): each test forces its situation deterministically, with timers the test fires
 * ({@link ManualTimer}) and completions delivered on the test's thread.
 */
public class CommandInterfaceHardeningTest {
    private IoManager io;
    private DeviceObject pdo;
    private final ManualTimer timer = new ManualTimer();

    @Before
    public void setUp() {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
        DriverVerifier.reset();
        io = IoManagers.create("cmdif-hardening", 2, null);
        pdo = io.createPhysicalDevice(DriverObject.builder("hw").build(), "hw#", List.of("TEST\\HCA"), null);
    }

    @After
    public void tearDown() {
        IoManagers.shutdown(io);
    }

    private CommandInterface queued(int max, ScriptedFirmware fw) {
        CommandInterface ci = CommandInterface.attach(io, pdo, "cmdif#", CommandMode.QUEUED, TimeUnit.SECONDS.toNanos(5),
                timer);
        ci.bind(fw);
        ci.setMaxOutstanding(max);
        return ci;
    }

    private CommandInterface legacy(ScriptedFirmware fw) {
        CommandInterface ci = CommandInterface.attach(io, pdo, "cmdif#", CommandMode.LEGACY_BLOCKING,
                TimeUnit.SECONDS.toNanos(30), timer);
        ci.bind(fw);
        return ci;
    }

    /** A PASSIVE caller thread (the legacy path blocks it). */
    private static Thread start(String name, Runnable caller) {
        Thread t = new Thread(caller, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static Irp send(CommandInterface ci) {
        Irp irp = ci.newRequest(new HcrRequest(new Command.Nop()));
        ci.device().callDriver(irp);
        return irp;
    }

    private void surpriseRemove(CommandInterface ci) {
        Irp surprise = new Irp(ci.device().attachedTop().stackSize());
        surprise.nextLocation().setMajorFunction(MajorFunction.PNP).setMinorFunction(PnpMinorFunction.SURPRISE_REMOVAL);
        io.send(ci.device(), surprise);
        awaitTrue("surprise removal completed", surprise::isCompleted);
    }

    private static void assertStatus(int expected, Irp irp) {
        assertTrue("completed: " + irp, irp.isCompleted());
        assertEquals(irp.toString(), NtStatus.name(expected), NtStatus.name(irp.status()));
    }

    private static void assertPending(Irp irp) {
        assertFalse("still waiting: " + irp, irp.isCompleted());
    }

    private void assertClean() {
        assertEquals(BlockingDetector.recentViolations().toString(), 0, BlockingDetector.violationCount());
        assertEquals(DriverVerifier.recentBugs().toString(), 0, DriverVerifier.bugCount());
    }

    /**
     * Issue 10 §1.1: with the driver's bound equal to the firmware's, a command that timed out
     * while the firmware still ran it kept the firmware's slot; the next queued request was posted,
     * refused, put back and posted again at once, forever, on the timeout's DPC thread. A refusal
     * now leaves the request waiting until the firmware frees a slot: here its late completion.
     */
    @Test
    public void refusedPostWaitsForTheFirmwareToFreeASlotInsteadOfSpinning() {
        ScriptedFirmware fw = new ScriptedFirmware(io, 2);
        CommandInterface ci = queued(2, fw);
        Irp abandoned = send(ci);
        ScriptedFirmware.Posted stillRunning = fw.newest();
        Irp busy = send(ci);
        ScriptedFirmware.Posted busyPosted = fw.newest();
        Irp next = send(ci);
        assertEquals("both tokens taken, the third waits", 1, ci.statistics().queued());

        timer.pending().get(0).fire(); // the first command's timeout; the firmware keeps running it
        assertStatus(NtStatus.IO_TIMEOUT, abandoned);
        assertEquals("the freed token's post was refused once, and not retried", 1, fw.refused.get());
        assertPending(next);
        Irp later = send(ci);
        assertEquals("a request arriving behind the refusal is not posted", 1, fw.refused.get());
        assertPending(later);

        fw.completeNow(stillRunning, CommandStatus.OK); // the late answer: ignored, but it frees the firmware's slot
        assertEquals(1, ci.statistics().staleCompletions());
        assertEquals("the refused request went to the firmware", 3, fw.order.size());
        assertEquals(1, fw.refused.get());
        fw.completeNow(busyPosted, CommandStatus.OK);
        assertStatus(NtStatus.SUCCESS, busy);
        fw.completeNow(fw.posted.peekFirst(), CommandStatus.OK);
        assertStatus(NtStatus.SUCCESS, next);
        fw.completeNow(fw.newest(), CommandStatus.OK);
        assertStatus(NtStatus.SUCCESS, later);
        assertEquals(0, ci.statistics().outstanding());
        assertEquals(0, ci.statistics().queued());
        assertEquals(1, fw.refused.get());
        assertClean();
    }

    /**
     * Issue 10 §1.2: a refused request was put back in the queue without its timeout and nothing
     * pumped again, so it never completed; after a catastrophic error the firmware refuses every
     * post that way. It now keeps the timeout it was posted with.
     */
    @Test
    public void commandRefusedByFailedFirmwareCompletesByItsTimeout() {
        ScriptedFirmware fw = new ScriptedFirmware(io, 2);
        CommandInterface ci = queued(2, fw);
        fw.failed = true;
        Irp refused = send(ci);
        assertEquals(1, fw.refused.get());
        assertPending(refused);
        timer.fireAll();
        assertStatus(NtStatus.IO_TIMEOUT, refused);
        assertEquals(1, ci.statistics().timedOut());
        assertEquals(0, ci.statistics().outstanding());
        assertClean();
    }

    /**
     * Issue 10 §1.2: requests queued behind a firmware that refuses everything must complete too,
     * by their timeout (counted while the firmware refuses), and the firmware is asked again at
     * most once per timeout period, never in a loop.
     */
    @Test
    public void requestsQueuedBehindAFailedFirmwareCompleteByTheirTimeout() {
        ScriptedFirmware fw = new ScriptedFirmware(io, 2);
        CommandInterface ci = queued(2, fw);
        fw.failed = true;
        List<Irp> irps = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            irps.add(send(ci));
        }
        assertEquals("only the first was offered to the firmware", 1, fw.refused.get());
        int rounds = 0;
        while (irps.stream().anyMatch(irp -> !irp.isCompleted()) && rounds < 10) {
            assertTrue("a timer is armed while requests wait", timer.fireAll() > 0);
            rounds++;
        }
        for (Irp irp : irps) {
            assertStatus(NtStatus.IO_TIMEOUT, irp);
        }
        assertTrue("completed within two timeouts of refusal, took " + rounds, rounds <= 2);
        assertTrue("asked again at most once per timeout: " + fw.refused.get(), fw.refused.get() <= 1 + rounds);
        assertEquals(5, ci.statistics().timedOut());
        assertEquals(0, ci.statistics().queued());
        assertEquals(0, ci.statistics().outstanding());
        assertEquals("no timer left behind", 0, timer.pending().size());
        assertClean();
    }

    /**
     * A firmware that was reset stops refusing without answering anything: the request first in
     * line is offered again once per silent timeout period, so the queue moves on.
     */
    @Test
    public void firmwareThatRecoversWithoutAnsweringIsOfferedTheNextCommandAfterASilentPeriod() {
        ScriptedFirmware fw = new ScriptedFirmware(io, 2);
        CommandInterface ci = queued(2, fw);
        fw.failed = true;
        Irp refused = send(ci);
        Irp next = send(ci);
        List<ManualTimer.Entry> armed = timer.pending();
        assertEquals("the refused command's timeout and the silent-period timer", 2, armed.size());
        fw.failed = false; // reset: room again, and no completion says so
        armed.get(0).fire();
        assertStatus(NtStatus.IO_TIMEOUT, refused);
        assertPending(next);
        assertEquals("nothing offered before the period ends", 0, fw.order.size());
        armed.get(1).fire();
        assertEquals("the silent period ended: the next one was offered", 1, fw.order.size());
        fw.completeNow(fw.newest(), CommandStatus.OK);
        assertStatus(NtStatus.SUCCESS, next);
        Irp after = send(ci);
        fw.completeNow(fw.newest(), CommandStatus.OK);
        assertStatus(NtStatus.SUCCESS, after);
        assertEquals(1, fw.refused.get());
        assertEquals(0, ci.statistics().outstanding());
        assertClean();
    }

    /** Issue 10 §1.2: when the hardware is gone, refused and queued requests complete at once. */
    @Test
    public void surpriseRemovalCompletesRefusedAndQueuedCommandsWithDeviceRemoved() {
        ScriptedFirmware fw = new ScriptedFirmware(io, 2);
        CommandInterface ci = queued(2, fw);
        fw.failed = true;
        Irp refused = send(ci);
        Irp waiting = send(ci);
        surpriseRemove(ci);
        assertStatus(NtStatus.DEVICE_REMOVED, refused);
        assertStatus(NtStatus.DEVICE_REMOVED, waiting);
        assertEquals(0, ci.statistics().outstanding());
        assertClean();
    }

    /**
     * Issue 10 §1.3: a second request arriving while the firmware refused the first entered the
     * pump, which re-posted the refused one forever: callDriver never returned. Sending is bounded
     * work: here, at DISPATCH, the second request is queued and callDriver returns PENDING.
     */
    @Test
    public void callDriverReturnsWhenASecondRequestArrivesWhileTheFirmwareRefuses() {
        ScriptedFirmware fw = new ScriptedFirmware(io, 2);
        CommandInterface ci = queued(2, fw);
        fw.failed = true;
        Irp first = send(ci);
        int[] returned = new int[1];
        Irp second = ci.newRequest(new HcrRequest(new Command.Nop()));
        ExecutionLevel.runAtDispatch("second command at DISPATCH", () -> returned[0] = ci.device().callDriver(second));
        assertEquals(NtStatus.name(NtStatus.PENDING), NtStatus.name(returned[0]));
        assertEquals("the firmware was asked once in all", 1, fw.refused.get());
        assertPending(first);
        assertPending(second);
        surpriseRemove(ci);
        assertStatus(NtStatus.DEVICE_REMOVED, first);
        assertStatus(NtStatus.DEVICE_REMOVED, second);
        assertClean();
    }

    /**
     * Issue 10 §1.4: generations were 8 bits, so the 255th reuse of a slot gave a timed-out
     * command's token back and its late completion completed the current command. A token whose
     * late completion may still come is never reissued.
     */
    @Test
    public void lateCompletionIsIgnoredAfterTheSlotHasBeenReusedPastTheOldGenerationWrap() {
        ScriptedFirmware fw = new ScriptedFirmware(io, 2); // room for the abandoned command and the next
        CommandInterface ci = queued(1, fw);
        Irp abandoned = send(ci);
        ScriptedFirmware.Posted stillRunning = fw.newest();
        timer.fireAll();
        assertStatus(NtStatus.IO_TIMEOUT, abandoned);
        for (int reuse = 1; reuse <= 300; reuse++) {
            Irp irp = send(ci);
            ScriptedFirmware.Posted p = fw.newest();
            assertNotEquals("reuse " + reuse + " was given the token of a command the firmware still runs",
                    stillRunning.token(), p.token());
            fw.completeNow(p, CommandStatus.OK);
            assertStatus(NtStatus.SUCCESS, irp);
        }
        Irp current = send(ci);
        fw.completeNow(stillRunning, CommandStatus.OK);
        assertEquals(1, ci.statistics().staleCompletions());
        assertPending(current);
        fw.completeNow(fw.newest(), CommandStatus.OK);
        assertStatus(NtStatus.SUCCESS, current);
        assertClean();
    }

    /**
     * Issue 10 §1.4, the wrap itself: with generations narrowed to 2 bits (3 per slot) the
     * sequence wraps every third reuse, and the tokens of the two commands the firmware still runs
     * are skipped until their late completions come; then they are issued again.
     */
    @Test
    public void wrappingGenerationsSkipTokensWhoseLateCompletionMayStillCome() {
        ScriptedFirmware fw = new ScriptedFirmware(io, 4);
        CommandInterface ci = CommandInterface.attach(io, pdo, "cmdif#", CommandMode.QUEUED, TimeUnit.SECONDS.toNanos(5),
                timer, 2);
        ci.bind(fw);
        Irp a = send(ci);
        ScriptedFirmware.Posted aRunning = fw.newest();
        timer.fireAll();
        Irp b = send(ci);
        ScriptedFirmware.Posted bRunning = fw.newest();
        timer.fireAll();
        assertStatus(NtStatus.IO_TIMEOUT, a);
        assertStatus(NtStatus.IO_TIMEOUT, b);
        assertEquals(2, ci.abandonedTokens());
        int onlyFree = -1;
        for (int reuse = 1; reuse <= 9; reuse++) {
            Irp irp = send(ci);
            ScriptedFirmware.Posted p = fw.newest();
            assertNotEquals("reuse " + reuse, aRunning.token(), p.token());
            assertNotEquals("reuse " + reuse, bRunning.token(), p.token());
            if (onlyFree < 0) {
                onlyFree = p.token();
            }
            assertEquals("the one generation left is reused", onlyFree, p.token());
            fw.completeNow(p, CommandStatus.OK);
            assertStatus(NtStatus.SUCCESS, irp);
        }
        Irp current = send(ci);
        ScriptedFirmware.Posted currentPosted = fw.newest();
        fw.completeNow(aRunning, CommandStatus.OK);
        fw.completeNow(bRunning, CommandStatus.OK);
        assertEquals(2, ci.statistics().staleCompletions());
        assertPending(current);
        assertEquals("late completions came: nothing is abandoned", 0, ci.abandonedTokens());
        fw.completeNow(currentPosted, CommandStatus.OK);
        assertStatus(NtStatus.SUCCESS, current);
        List<Integer> next = new ArrayList<>();
        for (int reuse = 0; reuse < 3; reuse++) {
            Irp irp = send(ci);
            next.add(fw.newest().token());
            fw.completeNow(fw.newest(), CommandStatus.OK);
            assertStatus(NtStatus.SUCCESS, irp);
        }
        assertTrue("the answered tokens are issued again: " + next,
                next.contains(aRunning.token()) && next.contains(bRunning.token()));
        assertClean();
    }

    /**
     * Issue 10 §1.3, bounded work: the thread that pumps posts at most a few rounds, even when
     * every post is answered at once (each answer asks for another round); a DPC takes over the
     * rest. Before, the thread posted the whole queue.
     */
    @Test
    public void sendingIsBoundedWorkEvenWhenEveryPostIsAnsweredAtOnce() {
        ScriptedFirmware fw = new ScriptedFirmware(io, 1);
        CommandInterface ci = queued(1, fw);
        Irp first = send(ci);
        ScriptedFirmware.Posted firstPosted = fw.newest();
        List<Irp> queuedIrps = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            queuedIrps.add(send(ci));
        }
        fw.answerInsidePost = true;
        Thread test = Thread.currentThread();
        fw.completeNow(firstPosted, CommandStatus.OK);
        assertStatus(NtStatus.SUCCESS, first);
        long onThisThread = fw.postingThreads.stream().filter(t -> t == test).count() - 1; // minus the first post
        assertTrue("the completing thread posted " + onThisThread + " commands", onThisThread <= 4);
        for (Irp irp : queuedIrps) {
            awaitTrue("completed by the DPC that took over: " + irp, irp::isCompleted);
            assertStatus(NtStatus.SUCCESS, irp);
        }
        assertClean();
    }

    /**
     * Issue 10 §1.5: a completion checked the token and then took the slot's request in a separate
     * step; a timeout that freed the slot in between, and the pump that re-armed it, gave the
     * completion the next command's request (whose timer it cancelled): that command never
     * completed and the slot leaked. The hook stops the completion exactly between its check and
     * its take while the timeout and the re-arm run.
     */
    @Test
    public void completionRacingATimeoutNeverTakesTheNextCommandsRequest() {
        ScriptedFirmware fw = new ScriptedFirmware(io, 2);
        CommandInterface ci = queued(1, fw);
        Irp first = send(ci);
        ScriptedFirmware.Posted firstPosted = fw.newest();
        Irp next = send(ci);
        assertEquals(1, ci.statistics().queued());
        AtomicInteger hookRuns = new AtomicInteger();
        ci.beforeCompletionTakesSlot = token -> {
            if (token == firstPosted.token() && hookRuns.getAndIncrement() == 0) {
                timer.pending().get(0).fire(); // the first command's timeout: frees the slot, the pump re-arms it
            }
        };
        fw.completeNow(firstPosted, CommandStatus.OK);
        assertEquals("the hook ran", 1, hookRuns.get());
        assertStatus(NtStatus.IO_TIMEOUT, first);
        ScriptedFirmware.Posted nextPosted = fw.newest();
        assertNotEquals(firstPosted.token(), nextPosted.token());
        assertPending(next);
        assertEquals("the next command's timeout is still armed", 1, timer.pending().size());
        assertEquals(1, ci.statistics().staleCompletions());
        fw.completeNow(nextPosted, CommandStatus.OK);
        assertStatus(NtStatus.SUCCESS, next);
        assertEquals(0, ci.statistics().outstanding());
        // the slot did not leak: another command goes through it
        Irp after = send(ci);
        fw.completeNow(fw.newest(), CommandStatus.OK);
        assertStatus(NtStatus.SUCCESS, after);
        assertClean();
    }

    /**
     * Issue 10 §1.6: a legacy caller woken by a surprise removal was told IO_TIMEOUT (the request
     * had no firmware status) instead of DEVICE_REMOVED.
     */
    @Test
    public void legacyCallerWokenBySurpriseRemovalGetsDeviceRemoved() throws Exception {
        ScriptedFirmware fw = new ScriptedFirmware(io, 1);
        CommandInterface ci = legacy(fw);
        Irp irp = ci.newRequest(new HcrRequest(new Command.Nop()));
        int[] returned = {Integer.MIN_VALUE};
        Thread caller = start("legacy caller", () -> returned[0] = ci.device().callDriver(irp));
        awaitTrue("the command was posted", () -> fw.posted.size() == 1);
        surpriseRemove(ci);
        caller.join(30_000);
        assertFalse("the legacy caller was not woken", caller.isAlive());
        assertEquals(NtStatus.name(NtStatus.DEVICE_REMOVED), NtStatus.name(returned[0]));
        assertStatus(NtStatus.DEVICE_REMOVED, irp);
        assertClean();
    }

    /**
     * Issue 10 §1.6, the caller still waiting for a token when the hardware goes: it must not post
     * to the removed hardware, and it is told DEVICE_REMOVED.
     */
    @Test
    public void legacyCallerWaitingForATokenWhenTheHardwareGoesGetsDeviceRemoved() throws Exception {
        ScriptedFirmware fw = new ScriptedFirmware(io, 1);
        CommandInterface ci = legacy(fw);
        Irp holding = ci.newRequest(new HcrRequest(new Command.Nop()));
        Irp waiting = ci.newRequest(new HcrRequest(new Command.Nop()));
        Thread first = start("legacy token holder", () -> ci.device().callDriver(holding));
        awaitTrue("the first command was posted", () -> fw.posted.size() == 1);
        Thread second = start("legacy token waiter", () -> ci.device().callDriver(waiting));
        awaitTrue("the second caller waits for the token", () -> second.getState() == Thread.State.WAITING);
        surpriseRemove(ci);
        first.join(30_000);
        second.join(30_000);
        assertFalse(first.isAlive() || second.isAlive());
        assertStatus(NtStatus.DEVICE_REMOVED, holding);
        assertStatus(NtStatus.DEVICE_REMOVED, waiting);
        assertEquals("nothing was posted to the removed hardware", 1, fw.order.size());
        assertEquals(0, fw.refused.get());
        assertClean();
    }
}
