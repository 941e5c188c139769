package org.irpverbs.ibal.internal.mad;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.irpverbs.ibal.mad.Mad;
import org.irpverbs.ibal.mad.MadAddress;
import org.irpverbs.ibal.mad.MadAgent;
import org.irpverbs.ibal.mad.MadAgentSpec;
import org.irpverbs.ibal.mad.MadHandler;
import org.irpverbs.ibal.mad.MadHeader;
import org.irpverbs.ibal.mad.MadMethod;
import org.irpverbs.ibal.mad.MadSend;
import org.irpverbs.ibal.mad.MadStatistics;
import org.irpverbs.ibal.mad.MadStatus;
import org.irpverbs.ibal.mad.MadTransaction;
import org.irpverbs.ibal.mad.ManagementClass;
import org.irpverbs.ibal.mad.ReceivedMad;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.ibal.internal.IbalMode;
import org.junit.After;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.Before;
import org.junit.Test;

/**
 * The MAD service between two real HCAs (Tavor and mem-free) on one fabric: requests and
 * responses, TID matching, timeouts and retries on manual timers, unsolicited delivery, every bad
 * MAD, registration conflicts, unregistering with sends in flight, local SMPs through MAD_IFC.
 * Blocking detection is in FAIL mode and every test ends clean (MadRig#close).
 */
@RunWith(Parameterized.class)
public class MadServiceTest {
    /** A vendor class (IBA 13.4.4: 0x09..0x0F, vendor specific) nobody else uses. */
    static final int CLASS = 0x09;
    static final int VERSION = 1;
    static final int ATTRIBUTE = 0x0042;
    static final long TIMEOUT = 1_000_000_000L;

    /** Queued, and legacy (verbs through IBAL's worker threads, the HCAs' command interfaces blocking). */
    @Parameterized.Parameters(name = "{0}")
    public static java.util.List<Object[]> modes() {
        return MadRig.modes();
    }

    private final IbalMode mode;
    MadRig rig;

    public MadServiceTest(IbalMode mode) {
        this.mode = mode;
    }

    @Before
    public void setUp() {
        rig = new MadRig(mode);
    }

    @After
    public void tearDown() {
        rig.close();
    }

    /** A server agent on hcaB that records each request and, if {@code answer}, replies with its data + 1. */
    static final class Server implements MadHandler {
        final ConcurrentLinkedQueue<ReceivedMad> requests = new ConcurrentLinkedQueue<>();
        final boolean answer;

        Server(boolean answer) {
            this.answer = answer;
        }

        @Override
        public void received(MadAgent agent, ReceivedMad request) {
            requests.add(request);
            if (answer) {
                byte[] data = request.mad().data();
                data[0]++;
                agent.send(MadSend.oneWay(request.mad().response(MadStatus.SUCCESS, data), request.source()));
            }
        }
    }

    private MadAgent register(PortMadService on, MadAgentSpec spec, MadHandler handler) {
        return MadRig.value(on.register(spec, handler), "register " + spec.name());
    }

    private static MadAgentSpec serves(String name, int... methods) {
        Set<Integer> m = new java.util.HashSet<>();
        for (int x : methods) {
            m.add(x);
        }
        return new MadAgentSpec(name, CLASS, VERSION, m, Set.of(ATTRIBUTE));
    }

    /** A GET of a fresh TID of {@code client} to hcaB's QP1. */
    private static MadTransaction getFromB(MadAgent client, int marker, int retries) {
        return client.send(new MadSend(get(client.newTransactionId(), marker), MadAddress.gsi(MadRig.LID_B), TIMEOUT,
                retries));
    }

    private static Mad get(long tid, int marker) {
        return Mad.of(MadHeader.request(CLASS, VERSION, MadMethod.GET, tid, ATTRIBUTE, 7), new byte[] {(byte) marker});
    }

    @Test
    public void aRequestToTheOtherHcaCompletesWithItsResponse() {
        Server server = new Server(true);
        register(rig.b, serves("server", MadMethod.GET), server);
        MadAgent client = register(rig.a, MadAgentSpec.client("client", CLASS, VERSION), null);
        // high 32 bits that are not the agent's: the service puts the agent's id there
        MadTransaction t = client.send(new MadSend(get(0xDEADBEEF00000005L, 41), MadAddress.gsi(MadRig.LID_B), TIMEOUT,
                0));
        ReceivedMad response = MadRig.value(t.result(), "GET across the fabric");
        long tid = ((long) client.id() << 32) | 5;
        assertEquals("the agent's id in the high 32 bits, the caller's low 32", tid, t.transactionId());
        assertEquals(tid, server.requests.peek().mad().header().transactionId());
        assertEquals(tid, response.mad().header().transactionId());
        assertEquals(MadMethod.GET_RESP, response.mad().header().method());
        assertEquals("the server's answer", 42, response.mad().byteAt(Mad.DATA_OFFSET));
        assertEquals(MadRig.LID_B, response.source().lid());
        assertEquals("from QP1", 1, response.source().qpn());
        ReceivedMad request = server.requests.peek();
        assertNotNull(request);
        assertEquals("the request came from hcaA's QP1", MadAddress.gsi(MadRig.LID_A), request.source());
        assertEquals(1, request.port());
        MadStatistics sa = rig.a.statistics();
        assertEquals(1, sa.responsesMatched());
        assertEquals(1, sa.sent());
        assertEquals(1, rig.b.statistics().delivered());
    }

    @Test
    public void aLostResponseIsRetriedWithTheSameTidThenTimesOut() {
        Server silent = new Server(false);
        register(rig.b, serves("silent", MadMethod.GET), silent);
        MadAgent client = register(rig.a, MadAgentSpec.client("client", CLASS, VERSION), null);
        MadTransaction t = getFromB(client, 1, 2);
        for (int attempt = 1; attempt <= 3; attempt++) {
            int n = attempt;
            MadRig.await(() -> silent.requests.size() == n, "attempt " + n + " reaches the server");
            assertFalse("attempt " + n + " is still waiting", t.result().isDone());
            assertEquals(1, rig.timers.expireAll());
        }
        IoStatusException e = MadRig.failure(t.result(), "the GET after its retries");
        assertEquals(NtStatus.name(NtStatus.IO_TIMEOUT), NtStatus.name(e.status()));
        assertTrue(e.getMessage(), e.getMessage().contains("after 3 attempt(s)"));
        for (ReceivedMad r : silent.requests) {
            assertEquals("every retry is the same MAD", t.transactionId(), r.mad().header().transactionId());
        }
        MadStatistics s = rig.a.statistics();
        assertEquals(2, s.retries());
        assertEquals(1, s.timeouts());
        assertEquals(3, s.sent());
        assertEquals(0, rig.timers.pending());
    }

    @Test
    public void aResponseThatComesBeforeTheTimeoutCancelsTheTimer() {
        register(rig.b, serves("server", MadMethod.GET), new Server(true));
        MadAgent client = register(rig.a, MadAgentSpec.client("client", CLASS, VERSION), null);
        MadTransaction t = getFromB(client, 1, 3);
        MadRig.value(t.result(), "GET");
        assertEquals("the response cancelled the timer", 0, rig.timers.pending());
        assertEquals(0, rig.timers.expireAll());
        assertEquals(0, rig.a.statistics().retries());
    }

    @Test
    public void responsesAreMatchedByTidAndClassOthersAreDroppedAndCounted() {
        // the server answers first with a wrong TID, then with the right TID in another class, then right
        MadHandler tricky = (agent, request) -> {
            Mad ok = request.mad().response(MadStatus.SUCCESS, new byte[] {9});
            MadHeader h = ok.header();
            agent.send(MadSend.oneWay(ok.withHeader(h.withTransactionId(h.transactionId() + 1)), request.source()));
            agent.send(MadSend.oneWay(ok.withHeader(new MadHeader(1, 0x0A, VERSION, h.method(), 0, 0, h.transactionId(),
                    h.attributeId(), h.attributeModifier())), request.source()));
            agent.send(MadSend.oneWay(ok, request.source()));
        };
        register(rig.b, serves("tricky", MadMethod.GET), tricky);
        MadAgent client = register(rig.a, MadAgentSpec.client("client", CLASS, VERSION), null);
        MadTransaction t = getFromB(client, 1, 0);
        ReceivedMad r = MadRig.value(t.result(), "GET");
        assertEquals(t.transactionId(), r.mad().header().transactionId());
        assertEquals(CLASS, r.mad().header().mgmtClass());
        MadRig.await(() -> rig.a.statistics().unmatchedResponses() == 2, "the two wrong responses are counted");
        assertEquals(1, rig.a.statistics().responsesMatched());
    }

    @Test
    public void unsolicitedMadsGoToTheAgentOfTheirMethod() {
        Server gets = new Server(true);
        Server sends = new Server(false);
        register(rig.b, serves("gets", MadMethod.GET), gets);
        register(rig.b, serves("sends", MadMethod.SEND), sends);
        MadAgent client = register(rig.a, MadAgentSpec.client("client", CLASS, VERSION), null);
        Mad send = Mad.of(MadHeader.request(CLASS, VERSION, MadMethod.SEND, 77, ATTRIBUTE, 0), new byte[] {5});
        MadTransaction oneWay = client.send(MadSend.oneWay(send, MadAddress.gsi(MadRig.LID_B)));
        assertNull("a one-way MAD resolves with null once sent", MadRig.value(oneWay.result(), "SEND"));
        assertEquals("a one-way MAD keeps its TID", 77, oneWay.transactionId());
        MadRig.await(() -> sends.requests.size() == 1, "the SEND reaches the agent of SEND");
        MadRig.value(getFromB(client, 1, 0).result(), "GET");
        assertEquals(1, gets.requests.size());
        assertEquals("the SEND agent saw no GET", 1, sends.requests.size());
        assertEquals(5, sends.requests.peek().mad().byteAt(Mad.DATA_OFFSET));
    }

    /** Sends a request of this header from hcaA to hcaB and returns hcaB's answer. */
    private ReceivedMad answerTo(MadAgent client, MadHeader h) {
        return MadRig.value(client.send(new MadSend(Mad.of(h, null), MadAddress.gsi(MadRig.LID_B), TIMEOUT, 0))
                .result(), "request " + h);
    }

    @Test
    public void badRequestsAreAnsweredWithTheIbaStatus() {
        register(rig.b, serves("server", MadMethod.GET), new Server(true));
        MadAgent client = register(rig.a, MadAgentSpec.client("client", CLASS, VERSION), null);
        MadAgent otherClass = register(rig.a, MadAgentSpec.client("other", 0x0B, 1), null);
        long tid = client.newTransactionId();
        ReceivedMad badBase = answerTo(client, new MadHeader(2, CLASS, VERSION, MadMethod.GET, 0, 0, tid, ATTRIBUTE, 0));
        assertEquals("bad base version", MadStatus.BAD_VERSION, badBase.mad().header().status());
        ReceivedMad badVersion = answerTo(client, MadHeader.request(CLASS, 2, MadMethod.GET, client.newTransactionId(),
                ATTRIBUTE, 0));
        assertEquals("bad class version", MadStatus.BAD_VERSION, badVersion.mad().header().status());
        ReceivedMad noClass = answerTo(otherClass, MadHeader.request(0x0B, 1, MadMethod.GET,
                otherClass.newTransactionId(), ATTRIBUTE, 0));
        assertEquals("a class nobody serves", MadStatus.BAD_VERSION, noClass.mad().header().status());
        ReceivedMad badMethod = answerTo(client, MadHeader.request(CLASS, VERSION, MadMethod.SET,
                client.newTransactionId(), ATTRIBUTE, 0));
        assertEquals("method not supported", MadStatus.UNSUPPORTED_METHOD, badMethod.mad().header().status());
        assertEquals("Set is answered with GetResp", MadMethod.GET_RESP, badMethod.mad().header().method());
        ReceivedMad badAttribute = answerTo(client, MadHeader.request(CLASS, VERSION, MadMethod.GET,
                client.newTransactionId(), 0x0043, 0));
        assertEquals("method/attribute not supported", MadStatus.UNSUPPORTED_METHOD_ATTRIBUTE,
                badAttribute.mad().header().status());
        ReceivedMad badTable = answerTo(client, MadHeader.request(CLASS, VERSION, MadMethod.GET_TABLE,
                client.newTransactionId(), ATTRIBUTE, 0));
        assertEquals(MadMethod.GET_TABLE_RESP, badTable.mad().header().method());
        assertEquals(MadStatus.UNSUPPORTED_METHOD, badTable.mad().header().status());
        assertEquals(6, rig.b.statistics().errorResponses());
        assertEquals("no bad MAD reached the agent", 0, rig.b.statistics().delivered());
    }

    @Test
    public void badMadsThatAskForNoResponseAreDroppedAndCounted() {
        register(rig.b, serves("server", MadMethod.GET), new Server(true));
        MadAgent client = register(rig.a, MadAgentSpec.client("client", CLASS, VERSION), null);
        MadAddress b = MadAddress.gsi(MadRig.LID_B);
        // a Send of a method nobody serves, a Trap of an unknown class version, a response nobody asked for
        MadRig.value(client.send(MadSend.oneWay(Mad.of(MadHeader.request(CLASS, VERSION, MadMethod.SEND, 1, ATTRIBUTE,
                0), null), b)).result(), "SEND");
        MadRig.value(client.send(MadSend.oneWay(Mad.of(MadHeader.request(CLASS, 9, MadMethod.TRAP, 2, ATTRIBUTE, 0),
                null), b)).result(), "TRAP");
        MadRig.value(client.send(MadSend.oneWay(Mad.of(MadHeader.request(CLASS, VERSION, MadMethod.GET_RESP, 3,
                ATTRIBUTE, 0), null), b)).result(), "GetResp");
        MadRig.await(() -> rig.b.statistics().droppedBad() + rig.b.statistics().unmatchedResponses() == 3,
                "hcaB drops the three");
        MadStatistics s = rig.b.statistics();
        assertEquals(3, s.received());
        assertEquals(2, s.droppedBad());
        assertEquals(1, s.unmatchedResponses());
        assertEquals(0, s.errorResponses());
        assertEquals(0, s.delivered());
    }

    @Test
    public void aSecondAgentForAMethodIsRefusedNamingTheHolder() {
        MadAgent first = register(rig.a, serves("first", MadMethod.GET, MadMethod.SET), new Server(false));
        IoStatusException e = MadRig.failure(rig.a.register(serves("second", MadMethod.SET), new Server(false)),
                "a second agent for SET");
        assertEquals(NtStatus.name(NtStatus.INVALID_DEVICE_STATE), NtStatus.name(e.status()));
        assertTrue(e.getMessage(), e.getMessage().contains("second: class 0x09 version 1 method 0x02 is already"
                + " registered by agent 'first' (id " + first.id() + ")"));
        register(rig.a, serves("other method", MadMethod.DELETE), new Server(false));
        register(rig.a, new MadAgentSpec("other version", CLASS, 2, Set.of(MadMethod.SET), Set.of()), new Server(false));
        IoStatusException noHandler = MadRig.failure(rig.a.register(serves("no handler", MadMethod.REPORT), null),
                "an agent of methods without a handler");
        assertEquals(NtStatus.name(NtStatus.INVALID_PARAMETER), NtStatus.name(noHandler.status()));
        MadRig.value(first.unregister(), "unregister first");
        MadAgent second = register(rig.a, serves("second", MadMethod.SET), new Server(false));
        assertTrue("ids are not reused", second.id() > first.id());
    }

    @Test
    public void unregisteringCancelsTheSendsInFlightAndFencesTheHandler() {
        Server silent = new Server(false);
        register(rig.b, serves("silent", MadMethod.GET), silent);
        MadAgent client = register(rig.a, MadAgentSpec.client("client", CLASS, VERSION), null);
        MadTransaction one = getFromB(client, 1, 5);
        MadTransaction two = getFromB(client, 2, 5);
        MadRig.await(() -> silent.requests.size() == 2, "both requests reach the server");
        MadRig.value(client.unregister(), "unregister with two sends in flight");
        for (MadTransaction t : new MadTransaction[] {one, two}) {
            IoStatusException e = MadRig.failure(t.result(), "a send of the unregistered agent");
            assertEquals(NtStatus.name(NtStatus.CANCELLED), NtStatus.name(e.status()));
        }
        assertFalse("settled already", one.cancel());
        IoStatusException after = MadRig.failure(client.send(new MadSend(get(client.newTransactionId(), 3),
                MadAddress.gsi(MadRig.LID_B), TIMEOUT, 0)).result(), "a send after unregister");
        assertEquals(NtStatus.name(NtStatus.CANCELLED), NtStatus.name(after.status()));
        assertEquals(2, rig.a.statistics().cancelled());
        assertEquals("the timers went with them", 0, rig.timers.pending());
        assertTrue("unregister is idempotent", client.unregister().isDone());
    }

    @Test
    public void aCancelledTransactionIgnoresItsLateResponse() {
        MadHandler slow = (agent, request) -> { };
        MadAgent server = register(rig.b, serves("slow", MadMethod.GET), slow);
        MadAgent client = register(rig.a, MadAgentSpec.client("client", CLASS, VERSION), null);
        MadTransaction t = getFromB(client, 1, 0);
        MadRig.await(() -> rig.b.statistics().delivered() == 1, "the request reaches the server");
        assertTrue(t.cancel());
        assertEquals(NtStatus.name(NtStatus.CANCELLED), NtStatus.name(MadRig.failure(t.result(), "cancelled").status()));
        Mad late = get(t.transactionId(), 1).response(MadStatus.SUCCESS, null);
        MadRig.value(server.send(MadSend.oneWay(late, MadAddress.gsi(MadRig.LID_A))).result(), "the late response");
        MadRig.await(() -> rig.a.statistics().unmatchedResponses() == 1, "the late response is dropped and counted");
    }

    @Test
    public void badSendsSettleAtOnceWithTheReason() {
        // a server that never answers: the first send stays outstanding until the test cancels it
        register(rig.b, serves("silent", MadMethod.GET), new Server(false));
        MadAgent client = register(rig.a, MadAgentSpec.client("client", CLASS, VERSION), null);
        IoStatusException toQp0 = MadRig.failure(client.send(new MadSend(get(1, 1), MadAddress.smi(MadRig.LID_B),
                TIMEOUT, 0)).result(), "a GMP to QP0");
        assertEquals(NtStatus.name(NtStatus.INVALID_PARAMETER), NtStatus.name(toQp0.status()));
        assertTrue(toQp0.getMessage(), toQp0.getMessage().contains("only SMPs go to QP0"));
        long tid = client.newTransactionId();
        MadTransaction first = client.send(new MadSend(get(tid, 1), MadAddress.gsi(MadRig.LID_B), TIMEOUT, 0));
        IoStatusException twice = MadRig.failure(client.send(new MadSend(get(tid, 1), MadAddress.gsi(MadRig.LID_B),
                TIMEOUT, 0)).result(), "the same TID twice");
        assertTrue(twice.getMessage(), twice.getMessage().contains("is already outstanding"));
        assertTrue(first.cancel());
        MadAgent smpClient = register(rig.a, MadAgentSpec.client("sm", ManagementClass.SUBN_LID_ROUTED, 1), null);
        Mad smp = Mad.of(MadHeader.request(ManagementClass.SUBN_LID_ROUTED, 1, MadMethod.GET, 1, 0x0011, 0), null);
        IoStatusException smpToQp1 = MadRig.failure(smpClient.send(new MadSend(smp, MadAddress.gsi(MadRig.LID_B),
                TIMEOUT, 0)).result(), "an SMP to QP1");
        assertTrue(smpToQp1.getMessage(), smpToQp1.getMessage().contains("goes to QP0"));
    }

    @Test
    public void smpsNobodyServesAreAnsweredByTheHcasOwnAgent() {
        MadAgent sm = register(rig.a, MadAgentSpec.client("sm", ManagementClass.SUBN_LID_ROUTED, 1), null);
        Mad nodeInfo = Mad.of(MadHeader.request(ManagementClass.SUBN_LID_ROUTED, 1, MadMethod.GET, sm.newTransactionId(),
                0x0011, 0), null);
        // over QP0 to hcaB, whose SMA answers through its MAD service's LOCAL_MAD
        ReceivedMad remote = MadRig.value(sm.send(new MadSend(nodeInfo, MadAddress.smi(MadRig.LID_B), TIMEOUT, 0))
                .result(), "SubnGet(NodeInfo) of hcaB");
        assertEquals(MadMethod.GET_RESP, remote.mad().header().method());
        assertEquals(rig.hcas.hardware("hcaB").config().nodeGuid(),
                ByteBuffer.wrap(remote.mad().toBytes()).getLong(64 + 12));
        assertEquals(0, remote.source().qpn());
        assertEquals(1, rig.b.statistics().localMads());
        // to its own LID: straight to its own SMA, never on the wire
        Mad own = nodeInfo.withHeader(nodeInfo.header().withTransactionId(sm.newTransactionId()));
        ReceivedMad local = MadRig.value(sm.send(new MadSend(own, MadAddress.smi(MadRig.LID_A), TIMEOUT, 0)).result(),
                "SubnGet(NodeInfo) of hcaA itself");
        assertEquals(rig.hcas.hardware("hcaA").config().nodeGuid(), ByteBuffer.wrap(local.mad().toBytes()).getLong(64 + 12));
        assertEquals(1, rig.a.statistics().localMads());
        assertEquals(2, rig.a.statistics().responsesMatched());
    }

    @Test
    public void stoppingCancelsEverythingAndRefusesNewAgents() {
        register(rig.b, serves("silent", MadMethod.GET), new Server(false));
        MadAgent client = register(rig.a, MadAgentSpec.client("client", CLASS, VERSION), null);
        MadTransaction t = getFromB(client, 1, 0);
        MadRig.value(rig.a.stop(), "stop hcaA/1");
        assertEquals(NtStatus.name(NtStatus.CANCELLED), NtStatus.name(MadRig.failure(t.result(), "in flight").status()));
        IoStatusException refused = MadRig.failure(rig.a.register(MadAgentSpec.client("late", CLASS, VERSION), null),
                "register after stop");
        assertEquals(NtStatus.name(NtStatus.DEVICE_NOT_READY), NtStatus.name(refused.status()));
        IoStatusException again = MadRig.failure(rig.a.start(), "start after stop");
        assertEquals(NtStatus.name(NtStatus.INVALID_DEVICE_STATE), NtStatus.name(again.status()));
    }
}
