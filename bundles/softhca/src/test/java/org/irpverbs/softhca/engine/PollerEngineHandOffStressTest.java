package org.irpverbs.softhca.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.WcOpcode;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WorkCompletion;
import org.irpverbs.verbs.WrOpcode;
import org.junit.Test;

/**
 * Stress for the hand-off between busy-polling consumers and the engine threads (EngineThread):
 * rounds of 64 KiB RDMA WRITEs from a to b, each waited for in one of the ways a consumer hands
 * the packet work back and forth: it busy-polls a (its polls run a's passes), it arms a's CQ and
 * waits for the event (the window ends, a's engine thread must take over), it moves on to
 * busy-polling b (a's work is handed back, b's is left to the poller), or it goes away without a
 * word (a's engine thread takes over when the window ends). The doorbell is rung half the time
 * just after a poll of the empty CQ opened a's window, so that it does not wake a's engine thread.
 *
 * <p>The QPs run without a local ACK timer (timeout 0). A lost wake-up, doorbell or ACK — work
 * that waits in a queue while no thread will run it — is then never rescued by a retransmission:
 * the round waits until its liveness bound (20 s, for work that takes microseconds) and fails,
 * naming how it waited. A correct hand-off never fails this, however loaded the machine: every
 * wait ends when the work is done, and no counter here moves on time alone. (With a short ACK
 * timer, the timer would hide a lost wake-up as a retransmission, and would also fire whenever a
 * loaded machine stalls a thread for that long, so its counter could not tell the two apart.)
 */
public class PollerEngineHandOffStressTest extends EngineTestBase {
    static final int CQ = 1;
    static final int QA = 0x50;
    static final int QB = 0x51;
    static final int SIZE = 64 * 1024;
    static final int ROUNDS = 240;
    static final int MAX_DEPTH = 6;
    static final long LIVENESS_MILLIS = 20_000;

    /** How a round waits for its WRITEs. */
    enum Wait {
        BUSY_POLL_A, ARM_A_AND_WAIT_FOR_THE_EVENT, MOVE_ON_TO_B, GO_AWAY
    }

    private TestHca a;
    private TestHca b;
    private TestHca.Region aBuf;
    private TestHca.Region bBuf;
    private final WorkCompletion[] out = new WorkCompletion[16];

    @Test
    public void writesUnderEveryHandOffBetweenPollerAndEngineCompleteWithoutAnAckTimer() {
        a = tavor("a", 1);
        b = memFree("b", 2);
        a.cq(CQ, 256);
        b.cq(CQ, 256);
        aBuf = a.region(SIZE, TestHca.ALL);
        bBuf = b.region(MAX_DEPTH * SIZE, TestHca.ALL);
        a.rcQp(QA, CQ, TestHca.ALL, 64, true);
        b.rcQp(QB, CQ, TestHca.ALL, 64, true);
        a.connect(QA, b, QB, TestHca.RcOptions.defaults().withRetries(0, 7)); // timeout 0: no local ACK timer
        Random random = new Random(0x5EED);
        long wrId = 0;
        int[] waits = new int[Wait.values().length];
        for (int round = 0; round < ROUNDS; round++) {
            int depth = 1 + random.nextInt(MAX_DEPTH);
            Wait wait = Wait.values()[random.nextInt(waits.length)];
            waits[wait.ordinal()]++;
            byte seed = (byte) round;
            for (int i = 0; i < SIZE; i += 512) {
                aBuf.memory().put(i, seed);
            }
            if (random.nextBoolean()) {
                assertEquals("a's CQ is empty between rounds", 0, a.hw.dataPath().pollCq(CQ, out, out.length));
            }
            postReceiveAtB(wrId + depth - 1);
            for (int i = 0; i < depth; i++) {
                postWrite(wrId++, i, i == depth - 1);
            }
            String what = "round " + round + " (" + depth + " WRITEs, " + wait + ")";
            switch (wait) {
                case BUSY_POLL_A -> reapA(depth, what);
                case ARM_A_AND_WAIT_FOR_THE_EVENT -> {
                    int got = 0;
                    while (got < depth) {
                        got += pollA(depth - got, what);
                        if (got < depth) {
                            int events = a.completionEvents.size();
                            assertTrue(a.hw.dataPath().armCq(CQ, false));
                            // a completion written before the arming raises no event: poll once more
                            int more = pollA(depth - got, what);
                            got += more;
                            if (more == 0) {
                                live(what + ": the completion event", () -> a.completionEvents.size() > events);
                            }
                        }
                    }
                }
                case MOVE_ON_TO_B -> {
                    busyPoll(b, 1, what + ": b's receive", WcOpcode.RECV_RDMA_WITH_IMM);
                    reapA(depth, what);
                }
                case GO_AWAY -> {
                    CqContext aCq = a.hw.state.cqs.get(CQ);
                    live(what + ": a's completions, nobody polling", () -> aCq.held() >= depth);
                    reapA(depth, what);
                }
            }
            if (wait != Wait.MOVE_ON_TO_B) {
                busyPoll(b, 1, what + ": b's receive", WcOpcode.RECV_RDMA_WITH_IMM);
            }
            for (int i = 0; i < depth; i++) {
                for (int at = 0; at < SIZE; at += 512) {
                    if (bBuf.memory().get(i * SIZE + at) != seed) {
                        fail(what + ": WRITE " + i + " byte " + at + " did not arrive");
                    }
                }
            }
        }
        for (int n : waits) {
            assertTrue("every way of waiting ran", n > 0);
        }
        for (TestHca t : new TestHca[] {a, b}) {
            TransportStatistics st = t.hw.transportStatistics();
            String name = t == a ? "a " : "b ";
            // a lossless fabric and no timer: anything here means a packet was lost or resent
            assertEquals(name + st, 0, st.retransmitTimeouts());
            assertEquals(name + st, 0, st.sequenceNaksSent() + st.sequenceNaksReceived());
            assertEquals(name + st, 0, st.duplicatesReceived());
            assertEquals(name + st, 0, st.inboxDrops());
            assertEquals(name + st, 0, st.rnrNaksSent());
            assertTrue(name + "ran passes for a busy poller: " + st, st.busyPollPasses() > 0);
        }
    }

    private void postWrite(long wrId, int slot, boolean withImmediate) {
        SendWorkRequest w = new SendWorkRequest();
        w.wrId = wrId;
        w.opcode = withImmediate ? WrOpcode.RDMA_WRITE_WITH_IMM : WrOpcode.RDMA_WRITE;
        w.immediateData = (int) wrId;
        w.sgl.add(aBuf.va(), SIZE, aBuf.lkey());
        w.remoteAddress = bBuf.va() + (long) slot * SIZE;
        w.rkey = bBuf.rkey();
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(QA, w, 0));
    }

    private void postReceiveAtB(long wrId) {
        ReceiveWorkRequest r = new ReceiveWorkRequest();
        r.wrId = wrId;
        r.sgl.add(bBuf.va(), 16, bBuf.lkey());
        assertEquals(NtStatus.SUCCESS, b.hw.dataPath().postReceive(QB, r));
    }

    /** Busy-polls a's CQ until {@code n} WRITE completions came. */
    private void reapA(int n, String what) {
        busyPoll(a, n, what + ": a's completions", WcOpcode.RDMA_WRITE);
    }

    /** One poll of a's CQ for at most {@code n}; checks what it got. */
    private int pollA(int n, String what) {
        int k = a.hw.dataPath().pollCq(CQ, out, Math.min(n, out.length));
        check(k, WcOpcode.RDMA_WRITE, what);
        return k;
    }

    /** Polls {@code t}'s CQ without pause (each empty poll may run a pass) until {@code n} completions of {@code opcode} came. */
    private void busyPoll(TestHca t, int n, String what, WcOpcode opcode) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LIVENESS_MILLIS);
        int got = 0;
        while (got < n) {
            int k = t.hw.dataPath().pollCq(CQ, out, Math.min(n - got, out.length));
            check(k, opcode, what);
            got += k;
            if (k == 0 && System.nanoTime() > deadline) {
                fail(what + ": " + got + " of " + n + " completions in " + LIVENESS_MILLIS + " ms; " + state());
            }
        }
    }

    private void check(int k, WcOpcode opcode, String what) {
        assertTrue(what + ": pollCq returned " + k, k >= 0);
        for (int i = 0; i < k; i++) {
            assertSame(what + ": " + out[i], WcStatus.SUCCESS, out[i].status);
            assertSame(what + ": " + out[i], opcode, out[i].opcode);
        }
    }

    /** Waits (sleeping, polling no CQ) for {@code condition}; fails after the liveness bound. */
    private void live(String what, BooleanSupplier condition) {
        if (!TestHca.await(condition, LIVENESS_MILLIS)) {
            fail(what + " did not come in " + LIVENESS_MILLIS + " ms; " + state());
        }
    }

    private String state() {
        return "a " + a.hw.transportStatistics() + " inbox " + a.hw.engine.inboxSize() + "; b "
                + b.hw.transportStatistics() + " inbox " + b.hw.engine.inboxSize();
    }
}
