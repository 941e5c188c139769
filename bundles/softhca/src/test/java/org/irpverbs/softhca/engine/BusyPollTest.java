package org.irpverbs.softhca.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.ExecutionLevel;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendFlags;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WorkCompletion;
import org.irpverbs.verbs.WrOpcode;
import org.junit.Test;

/**
 * Busy polling ({@link EngineTuning#busyPollMicros()}, EngineThread): a consumer that polls an
 * empty CQ runs the engine's packet and doorbell work itself; while its window lasts the engine
 * thread leaves that work to it; work a poller leaves behind waits at most the window; arming the
 * CQ, or the thread busy-polling another HCA, hands the work back at once. A SEND from a (Tavor) to b (mem-free) over RC.
 */
public class BusyPollTest extends EngineTestBase {
    static final int CQ = 1;
    static final int QA = 0x40;
    static final int QB = 0x41;

    private int busyPollMicros = EngineTuning.DEFAULT_BUSY_POLL_MICROS;
    private TestHca a;
    private TestHca b;
    private TestHca.Region aBuf;
    private TestHca.Region bBuf;

    @Override
    protected EngineTuning tuning() {
        return EngineTuning.defaults().withBusyPollMicros(busyPollMicros);
    }

    private void connect(int windowMicros) {
        busyPollMicros = windowMicros;
        a = tavor("a", 1);
        b = memFree("b", 2);
        a.cq(CQ, 64);
        b.cq(CQ, 64);
        aBuf = a.region(4096, TestHca.ALL);
        bBuf = b.region(4096, TestHca.ALL);
        a.rcQp(QA, CQ, TestHca.ALL, 16, false);
        b.rcQp(QB, CQ, TestHca.ALL, 16, false);
        a.connect(QA, b, QB, TestHca.RcOptions.defaults());
        postReceiveAtB();
    }

    private void postReceiveAtB() {
        ReceiveWorkRequest r = new ReceiveWorkRequest();
        r.wrId = 9;
        r.sgl.add(bBuf.va(), 64, bBuf.lkey());
        assertEquals(NtStatus.SUCCESS, b.hw.dataPath().postReceive(QB, r));
    }

    private void sendToB() {
        aBuf.memory().put(0, (byte) 0x5A);
        SendWorkRequest s = new SendWorkRequest();
        s.wrId = 3;
        s.opcode = WrOpcode.SEND;
        s.flags = SendFlags.SIGNALED;
        s.sgl.add(aBuf.va(), 64, aBuf.lkey());
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(QA, s, 0));
    }

    /** One poll of a's empty CQ, which opens a's busy-poll window, then the SEND; returns when it was posted. */
    private long pollOnceThenSend() {
        assertEquals(0, a.hw.dataPath().pollCq(CQ, new WorkCompletion[4], 4));
        long posted = System.nanoTime();
        sendToB();
        return posted;
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    /**
     * A poll that finds the CQ empty runs an engine pass. Observed with nothing in flight, because
     * with a SEND in flight an engine thread that ran ahead may have written the completion before
     * the first poll, and then no poll finds the CQ empty (that made this test fail on a loaded
     * machine). A poll skips the pass only while another pass runs, which ends, so some poll of the
     * idle HCA runs one.
     */
    @Test
    public void aPollerThatFindsItsCqEmptyRunsAnEnginePass() {
        connect(EngineTuning.DEFAULT_BUSY_POLL_MICROS);
        WorkCompletion[] out = new WorkCompletion[4];
        assertTrue("polls of the empty CQ ran an engine pass", TestHca.await(() -> {
            assertEquals(0, a.hw.dataPath().pollCq(CQ, out, 4));
            return a.hw.transportStatistics().busyPollPasses() > 0;
        }, 10_000));
        sendToB();
        WorkCompletion got = busyPollA(out);
        assertTrue("the SEND completed", got != null);
        assertSame(WcStatus.SUCCESS, got.status);
        assertSame(WcStatus.SUCCESS, one(b.poll(CQ, 1)).status);
        assertEquals((byte) 0x5A, bBuf.memory().get(0));
    }

    /**
     * A DPC (DISPATCH, where nothing may wait) that posts and spins on the CQ runs the passes itself; the
     * blocking detector, failing on any wait or contended lock (EngineTestBase), watches them.
     */
    @Test
    public void aDpcThatBusyPollsRunsThePassesWithoutBlocking() throws Exception {
        connect(EngineTuning.DEFAULT_BUSY_POLL_MICROS);
        // one round on this thread first, so that the DPC's span loads no class: the detector
        // excuses a wait made while the waiting thread itself was loading a class (class loading
        // may take locks), so a real wait inside the DPC's own first use of a class would be excused
        sendToB();
        assertSame(WcStatus.SUCCESS, busyPollA(new WorkCompletion[4]).status);
        assertSame(WcStatus.SUCCESS, one(b.poll(CQ, 1)).status);
        postReceiveAtB();
        long excusedBefore = BlockingDetector.classLoadingWaits();
        CompletableFuture<WorkCompletion> polled = new CompletableFuture<>();
        CompletableFuture<ExecutionLevel> level = new CompletableFuture<>();
        io.queueDpc(() -> {
            level.complete(ExecutionLevel.current());
            WorkCompletion[] out = new WorkCompletion[4];
            a.hw.dataPath().pollCq(CQ, out, 4); // opens the window: the SEND is left to this DPC
            sendToB();
            polled.complete(busyPollA(out));
        });
        assertSame(ExecutionLevel.DISPATCH, level.get(30, TimeUnit.SECONDS));
        WorkCompletion got = polled.get(30, TimeUnit.SECONDS);
        assertTrue("the DPC polled the SEND's completion", got != null);
        assertSame(WcStatus.SUCCESS, got.status);
        assertTrue("the DPC's polls ran engine passes", a.hw.transportStatistics().busyPollPasses() > 0);
        assertEquals("no span was excused for class loading", excusedBefore, BlockingDetector.classLoadingWaits());
    }

    /** Spins on a's CQ (at most 30 s, a liveness bound); the first completion, or null. */
    private WorkCompletion busyPollA(WorkCompletion[] out) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (a.hw.dataPath().pollCq(CQ, out, 4) > 0) {
                return new WorkCompletion().copyFrom(out[0]);
            }
        }
        return null;
    }

    @Test
    public void withBusyPollingOffNoPollRunsAPass() {
        connect(0);
        sendToB();
        assertSame(WcStatus.SUCCESS, one(a.poll(CQ, 1)).status);
        assertSame(WcStatus.SUCCESS, one(b.poll(CQ, 1)).status);
        assertEquals(0, a.hw.transportStatistics().busyPollPasses());
        assertEquals(0, b.hw.transportStatistics().busyPollPasses());
    }

    /**
     * The poller polls once and never again: the SEND it posted next is left to it while the
     * window lasts (300 ms), then the engine thread sends it. The packet's arrival is watched on
     * b's port counters, which polls no CQ.
     */
    @Test
    public void workAPollerLeavesBehindWaitsForItsWindowAndNoLonger() {
        connect(300_000);
        long posted = pollOnceThenSend();
        assertTrue("the SEND left a", TestHca.await(() -> b.hw.fabricPort(1).counters().portRcvPkts() > 0, 30_000));
        long waitedMillis = millisSince(posted);
        assertTrue("the engine thread left the doorbell to the poller while its window lasted; waited "
                + waitedMillis + " ms", waitedMillis >= 100);
        assertSame(WcStatus.SUCCESS, one(b.poll(CQ, 1)).status);
        assertSame(WcStatus.SUCCESS, one(a.poll(CQ, 1)).status);
    }

    /**
     * A thread that busy-polled a and then polls b's CQ (as a ping-pong polls each side in turn)
     * has moved on: a's engine thread takes its work back at once instead of after the 1 s window.
     * Read from the hand-back itself, not from how soon the packet came: a paused test thread
     * would let a 1 s window run out and prove nothing, or a slow one fail a time bound.
     */
    @Test
    public void aPollerThatMovesOnToAnotherHcaHandsTheWorkBack() {
        connect(1_000_000);
        long handBacks = a.hw.engine.busyPollHandBacks();
        pollOnceThenSend();
        assertEquals("nothing handed back while the poller stays on a", handBacks, a.hw.engine.busyPollHandBacks());
        WorkCompletion got = one(b.poll(CQ, 1, 30_000));
        assertEquals("polling b ended a's window", handBacks + 1, a.hw.engine.busyPollHandBacks());
        assertSame(WcStatus.SUCCESS, got.status);
        assertEquals((byte) 0x5A, bBuf.memory().get(0));
        assertSame(WcStatus.SUCCESS, one(a.poll(CQ, 1)).status);
    }

    /**
     * A consumer that arms its CQ waits for the event instead of polling: the engine thread must
     * take the work back at once, not when the 1 s window would have ended (read, as above, from
     * the hand-back rather than from a time bound).
     */
    @Test
    public void armingTheCqHandsTheWorkBackAtOnce() {
        connect(1_000_000);
        long handBacks = a.hw.engine.busyPollHandBacks();
        pollOnceThenSend();
        assertTrue(a.hw.dataPath().armCq(CQ, false));
        assertEquals("arming ended the window", handBacks + 1, a.hw.engine.busyPollHandBacks());
        assertTrue("a completion event", TestHca.await(() -> a.completionEvents.contains(CQ), 30_000));
        assertSame(WcStatus.SUCCESS, one(a.poll(CQ, 1)).status);
    }

    @Test
    public void theSystemPropertySetsTheDefaultWindowAndABadValueIsNamed() {
        assertEquals(EngineTuning.DEFAULT_BUSY_POLL_MICROS, EngineTuning.busyPollMicros(null));
        assertEquals(EngineTuning.DEFAULT_BUSY_POLL_MICROS, EngineTuning.busyPollMicros(" "));
        assertEquals(0, EngineTuning.busyPollMicros("0"));
        assertEquals(250, EngineTuning.busyPollMicros(" 250 "));
        for (String bad : new String[] {"-1", "1000001", "50us", "1e3", "99999999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> EngineTuning.busyPollMicros(bad));
            assertEquals("irpverbs.busyPollMicros must be a number of microseconds 0..1000000 (0: no busy polling), was '"
                    + bad + "'", e.getMessage());
        }
    }

    @Test
    public void aBusyPollWindowOutsideItsRangeIsRefusedByName() {
        EngineTuning d = EngineTuning.defaults();
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> d.withBusyPollMicros(-1));
        assertEquals("busyPollMicros must be 0..1000000, was -1", negative.getMessage());
        IllegalArgumentException huge = assertThrows(IllegalArgumentException.class,
                () -> d.withBusyPollMicros(EngineTuning.MAX_BUSY_POLL_MICROS + 1));
        assertEquals("busyPollMicros must be 0..1000000, was 1000001", huge.getMessage());
        assertEquals(0, d.withBusyPollMicros(0).busyPollMicros());
        assertEquals(EngineTuning.MAX_BUSY_POLL_MICROS,
                d.withBusyPollMicros(EngineTuning.MAX_BUSY_POLL_MICROS).busyPollMicros());
    }
}
