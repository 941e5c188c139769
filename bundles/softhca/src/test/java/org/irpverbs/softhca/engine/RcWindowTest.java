package org.irpverbs.softhca.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WorkCompletion;
import org.irpverbs.verbs.WrOpcode;
import org.junit.Test;

/**
 * The RC requester's window ({@link EngineTuning#rcWindowPackets()}): with the ACKs held back in
 * the fabric, exactly a window of packets leaves and then nothing more; the ACKs let the rest go,
 * and the message completes whole without a resend. Every loss test of the superclass runs again
 * with this small window, where go-back-N resends and the window interact.
 */
public class RcWindowTest extends LossRecoveryTest {
    static final int WINDOW = 8;
    static final int MTU = 2048;

    @Override
    protected EngineTuning tuning() {
        EngineTuning d = EngineTuning.defaults();
        return new EngineTuning(d.timerScale(), WINDOW, 4, d.sendBurstPackets(), d.inboxFrames());
    }

    /**
     * Runs without an ACK timer: with the ACKs held, a timer running in real time may expire on a
     * loaded machine and resend the window, which is right but is not what is measured here. The
     * requester then has no reason to send anything beyond its window; two whole engine passes
     * after the window went out (nobody busy-polls a's CQ meanwhile, so each pass does a's packet
     * and doorbell work) give a requester that ignored its window every chance to send more.
     */
    @Test
    @WithoutAckTimer
    public void requesterStopsAtItsWindowUntilAcksSlideIt() {
        int packets = 3 * WINDOW - 2;
        lossy.holdAcks();
        SendWorkRequest w = rdma(WrOpcode.RDMA_WRITE, 0, 0, packets * MTU);
        w.wrId = 7;
        assertEquals(NtStatus.SUCCESS, a.hw.dataPath().postSend(QA, w, 0));

        assertTrue("a window of packets left", TestHca.await(() -> lossy.requestPackets.get() >= WINDOW, 30_000));
        a.awaitEnginePasses(2);
        assertEquals("a window of packets, and no more while no ACK comes back", WINDOW, lossy.requestPackets.get());

        lossy.releaseAcks();
        List<WorkCompletion> done = a.poll(CQ, 1);
        assertEquals(1, done.size());
        assertSame(WcStatus.SUCCESS, done.get(0).status);
        assertEquals(7, done.get(0).wrId);
        assertBytes(aBuf.memory(), 0, bBuf.memory(), 0, packets * MTU);
        assertEquals("every packet sent once", packets, lossy.requestPackets.get());
        assertEquals(0, a.hw.transportStatistics().retransmitTimeouts());
        assertEquals(0, b.hw.transportStatistics().duplicatesReceived());
    }
}
