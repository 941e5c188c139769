package org.irpverbs.softhca.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.ByteBuffer;
import java.util.List;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.fabric.Frame;
import org.irpverbs.softhca.wire.OpCode;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WorkCompletion;
import org.irpverbs.verbs.WrOpcode;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TestWatcher;
import org.junit.runner.Description;

/**
 * RC recovery from single lost packets, each taken out deterministically: a middle data packet
 * (NAK PSN sequence error, resend from it), the last packet (local ACK timeout), an ACK (the
 * duplicate is re-acknowledged), a read response (the READ is asked again for what remains) and
 * an atomic's answer (the responder replays the saved result instead of executing it twice).
 */
public class LossRecoveryTest extends EngineTestBase {
    static final int CQ = 1;
    static final int QA = 0x10;
    static final int QB = 0x20;
    static final int PSN = 0x100;

    /**
     * A test that asserts no local ACK timer fired runs without one (timeout 0): recovery that
     * needed the timer then never comes and the test fails by its liveness bound, whereas with a
     * timer running in real time a loaded machine could fire it legitimately first.
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    @interface WithoutAckTimer {
    }

    private boolean withoutAckTimer;

    @Rule
    public final TestWatcher ackTimerChoice = new TestWatcher() {
        @Override
        protected void starting(Description test) {
            withoutAckTimer = test.getAnnotation(WithoutAckTimer.class) != null;
        }
    };

    LossyFabric lossy;
    TestHca a;
    TestHca b;
    TestHca.Region aBuf;
    TestHca.Region bBuf;

    @Before
    public void connect() {
        lossy = new LossyFabric();
        a = TestHca.tavor(TestHca.fastConfig("a", HcaModel.MT23108, 1), lossy, io, tuning());
        b = TestHca.memFree(TestHca.fastConfig("b", HcaModel.MT25208, 2), lossy, io, tuning());
        hcas.add(a);
        hcas.add(b);
        a.cq(CQ, 64);
        b.cq(CQ, 64);
        aBuf = a.region(128 * 1024, TestHca.ALL);
        bBuf = b.region(128 * 1024, TestHca.ALL);
        for (int i = 0; i < 128 * 1024; i++) {
            aBuf.memory().put(i, (byte) (i * 13));
            bBuf.memory().put(i, (byte) (i * 7 + 3));
        }
        a.rcQp(QA, CQ, TestHca.ALL, 32, true);
        b.rcQp(QB, CQ, TestHca.ALL, 32, true);
        // ACK timeout code 19: 2.1 s real, 134 ms at the 1/16 timer scale. The tests that lose an
        // ACK or a last packet wait for it. A test that asserts it never fires runs without it
        // (@WithoutAckTimer): no timeout is longer than every pause a loaded machine can cause (a
        // 4 ms timeout, code 14, fired there once in a while before the NAK was handled)
        int ackTimeout = withoutAckTimer ? 0 : 19;
        a.connect(QA, b, QB, TestHca.RcOptions.defaults().withRetries(ackTimeout, 7).withPsn(PSN));
    }

    SendWorkRequest rdma(WrOpcode op, int localOffset, int remoteOffset, int len) {
        SendWorkRequest s = new SendWorkRequest();
        s.wrId = 1;
        s.opcode = op;
        s.sgl.add(aBuf.va() + localOffset, len, aBuf.lkey());
        s.remoteAddress = bBuf.va() + remoteOffset;
        s.rkey = bBuf.rkey();
        return s;
    }

    WorkCompletion run(SendWorkRequest s) {
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(QA, s, 0));
        List<WorkCompletion> got = a.poll(CQ, 1);
        assertEquals(got.toString(), 1, got.size());
        assertSame(got.get(0).toString() + " dropped " + lossy.dropped, WcStatus.SUCCESS, got.get(0).status);
        assertEquals("the planned loss happened", 1, lossy.dropped.size());
        return got.get(0);
    }

    @Test
    @WithoutAckTimer
    public void lostMiddlePacketIsResentAfterASequenceNak() {
        lossy.dropOnce(OpCode.RC_RDMA_WRITE_MIDDLE, PSN + 3);
        run(rdma(WrOpcode.RDMA_WRITE, 0, 0, 10 * 2048));
        assertBytes(aBuf.memory(), 0, bBuf.memory(), 0, 10 * 2048);
        assertEquals(1, b.hw.transportStatistics().sequenceNaksSent());
        assertEquals(1, a.hw.transportStatistics().sequenceNaksReceived());
        assertEquals(0, a.hw.transportStatistics().retransmitTimeouts());
    }

    /**
     * A 128 KiB WRITE at MTU 2048 (64 packets) leaves as a segment run as long as a frame allows
     * (63 packets, or the window) and the rest; losing the first run loses all its packets, and
     * go-back-N resends them all (after the sequence NAK the next frame causes, or the ACK timeout
     * when the window held nothing more), the AckReq flags of every packet of the long run intact.
     */
    @Test
    public void aLostLongSegmentRunIsResentWhole() {
        lossy.passRuns();
        lossy.dropOnce(OpCode.RC_RDMA_WRITE_FIRST, PSN);
        run(rdma(WrOpcode.RDMA_WRITE, 0, 0, 64 * 2048));
        assertBytes(aBuf.memory(), 0, bBuf.memory(), 0, 64 * 2048);
        assertEquals(Math.min(Frame.MAX_RUN_SEGMENTS, tuning().rcWindowPackets()), lossy.largestRun.get());
        assertTrue(a.hw.transportStatistics().sequenceNaksReceived() + a.hw.transportStatistics().retransmitTimeouts() >= 1);
    }

    @Test
    public void lostLastPacketIsResentAfterTheAckTimeout() {
        ReceiveWorkRequest rr = new ReceiveWorkRequest();
        rr.sgl.add(bBuf.va(), 64 * 1024, bBuf.lkey());
        b.hw.dataPath().postReceive(QB, rr);
        lossy.dropOnce(OpCode.RC_SEND_LAST, PSN + 4);
        SendWorkRequest s = rdma(WrOpcode.SEND, 0, 0, 5 * 2048 - 100);
        run(s);
        assertEquals(5 * 2048 - 100, b.poll(CQ, 1).get(0).byteLength);
        assertBytes(aBuf.memory(), 0, bBuf.memory(), 0, 5 * 2048 - 100);
        assertTrue(a.hw.transportStatistics().retransmitTimeouts() >= 1);
    }

    @Test
    public void lostAckIsAnsweredByTheDuplicate() {
        lossy.dropOnce(OpCode.RC_ACKNOWLEDGE, PSN);
        run(rdma(WrOpcode.RDMA_WRITE, 0, 4096, 1000));
        assertBytes(aBuf.memory(), 0, bBuf.memory(), 4096, 1000);
        assertTrue(b.hw.transportStatistics().duplicatesReceived() >= 1);
    }

    @Test
    public void lostReadResponseIsAskedForAgain() {
        lossy.dropOnce(OpCode.RC_RDMA_READ_RESPONSE_MIDDLE, PSN + 2);
        run(rdma(WrOpcode.RDMA_READ, 0, 0, 8 * 2048));
        assertBytes(bBuf.memory(), 0, aBuf.memory(), 0, 8 * 2048);
        assertTrue(b.hw.transportStatistics().duplicatesReceived() >= 1);
    }

    @Test
    public void lostAtomicAnswerIsReplayedNotReExecuted() {
        bBuf.memory().putLong(1024, 40);
        lossy.dropOnce(OpCode.RC_ATOMIC_ACKNOWLEDGE, PSN);
        SendWorkRequest fa = rdma(WrOpcode.ATOMIC_FETCH_AND_ADD, 0, 1024, 8);
        fa.compareAdd = 2;
        run(fa);
        assertEquals("executed once", 42, bBuf.memory().getLong(1024));
        assertEquals("the original value, replayed", 40, aBuf.memory().getLong(0));
        assertTrue(b.hw.transportStatistics().duplicatesReceived() >= 1);
    }

    @Test
    public void lostPacketsAmongManyMessagesKeepOrder() {
        int n = 20;
        for (int i = 0; i < n; i++) {
            ReceiveWorkRequest rr = new ReceiveWorkRequest();
            rr.wrId = i;
            rr.sgl.add(bBuf.va() + i * 4096L, 4096, bBuf.lkey());
            b.hw.dataPath().postReceive(QB, rr);
        }
        lossy.dropOnce(OpCode.RC_SEND_FIRST, PSN + 4);
        lossy.dropOnce(OpCode.RC_SEND_LAST, PSN + 13);
        for (int i = 0; i < n; i++) {
            SendWorkRequest s = new SendWorkRequest();
            s.wrId = i;
            s.sgl.add(aBuf.va() + i * 3000L, 3000, aBuf.lkey());
            assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(QA, s, 0));
        }
        List<WorkCompletion> sent = a.poll(CQ, n);
        List<WorkCompletion> got = b.poll(CQ, n);
        assertEquals(n, sent.size());
        assertEquals(n, got.size());
        for (int i = 0; i < n; i++) {
            assertSame(WcStatus.SUCCESS, sent.get(i).status);
            assertEquals(i, sent.get(i).wrId);
            assertEquals(i, got.get(i).wrId);
            assertBytes(aBuf.memory(), i * 3000, bBuf.memory(), i * 4096, 3000);
        }
        assertEquals(2, lossy.dropped.size());
    }
}
