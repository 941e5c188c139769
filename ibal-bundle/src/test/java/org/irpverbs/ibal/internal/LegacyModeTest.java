package org.irpverbs.ibal.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.ibal.IbalIds;
import org.irpverbs.ibal.internal.LegacyWorkers.Role;
import org.irpverbs.ibal.mad.Mad;
import org.irpverbs.ibal.mad.MadAddress;
import org.irpverbs.ibal.mad.MadAgent;
import org.irpverbs.ibal.mad.MadAgentSpec;
import org.irpverbs.ibal.mad.MadHeader;
import org.irpverbs.ibal.mad.MadMethod;
import org.irpverbs.ibal.mad.MadSend;
import org.irpverbs.ibal.mad.ManagementClass;
import org.irpverbs.ibal.mad.ReceivedMad;
import org.irpverbs.irp.ExecutionLevel;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.cmdif.CommandMode;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsRequest;
import org.junit.After;
import org.junit.Test;

/**
 * The legacy contrast (IbalMode.LEGACY): IBAL has WinOF's three worker threads while its device
 * runs, every verb it sends to the HCAs (in legacy command mode, so the sender blocks) is issued
 * from one of them at PASSIVE — binding on AL_PNP, client verbs, CA events and the MAD service's
 * LOCAL_MAD on AL_MISC, destruction on AL_OBJ —, and stopping IBAL ends them. The test seam is
 * {@link LegacyWorkers.Observer}: told on the worker, before each piece of work, which thread runs
 * it and at which level. In queued mode there are no workers at all.
 */
public class LegacyModeTest {
    private record Ran(Role role, Thread thread, ExecutionLevel level, String what) {
    }

    private final ConcurrentLinkedQueue<Ran> ran = new ConcurrentLinkedQueue<>();
    private final IbalRig rig = new IbalRig(IbalMode.LEGACY).withTavorAndMemFree();
    private final TestUlpDriver ulp = new TestUlpDriver("LegacyUlp");

    @After
    public void tearDown() {
        rig.close();
    }

    private void start() {
        rig.workObserver = (role, thread, level, what) -> ran.add(new Ran(role, thread, level, what));
        rig.twoHcas().startBus().startIbal();
    }

    private List<Ran> ranFor(String what) {
        List<Ran> out = new ArrayList<>();
        for (Ran r : ran) {
            if (r.what().equals(what)) {
                out.add(r);
            }
        }
        return out;
    }

    /** Everything {@code what} names ran on {@code role}'s thread of this IBAL, at PASSIVE; at least once. */
    private void assertRanOn(Role role, String what) {
        List<Ran> found = ranFor(what);
        assertFalse(what + " never ran on a worker; ran: " + ran, found.isEmpty());
        List<Thread> threads = rig.core().legacyWorkers().threads();
        for (Ran r : found) {
            assertEquals(what + ": " + r, role, r.role());
            assertEquals(what + ": " + r, role.threadName(), r.thread().getName());
            assertTrue(what + " ran on a thread not IBAL's: " + r.thread(), threads.contains(r.thread()));
            assertEquals(what + ": " + r, ExecutionLevel.PASSIVE, r.level());
        }
    }

    private void allMadServicesRunning() {
        for (String ca : List.of("hca0", "hca1")) {
            for (int port = 1; port <= 2; port++) {
                int p = port;
                IbalRig.eventually(() -> rig.ca(ca).madService(p) instanceof org.irpverbs.ibal.internal.mad.PortMadService s
                        && s.state() == org.irpverbs.ibal.internal.mad.PortMadService.State.RUNNING,
                        ca + "/" + p + "'s MAD service running");
            }
        }
        rig.settle();
    }

    @Test
    public void theHcasAreInLegacyCommandModeAndIbalHasItsThreeNamedThreads() {
        start();
        assertEquals(CommandMode.LEGACY_BLOCKING, rig.tavor.options().commandMode());
        assertEquals(CommandMode.LEGACY_BLOCKING, rig.memFree.options().commandMode());
        assertEquals(IbalMode.LEGACY, rig.core().mode());
        List<Thread> threads = rig.core().legacyWorkers().threads();
        List<String> names = new ArrayList<>();
        for (Thread t : threads) {
            assertTrue(t.getName() + " alive", t.isAlive());
            names.add(t.getName());
        }
        assertEquals(List.of("ibal-al-obj", "ibal-al-misc", "ibal-al-pnp"), names);
        rig.assertChildren(4);
        rig.assertClean();
    }

    @Test
    public void bindingAndBusRelationsRunOnAlPnpAndTheMadServicesVerbsOnAlMisc() {
        start();
        IbalRig.eventually(() -> rig.ca("hca1").madService(2) instanceof org.irpverbs.ibal.internal.mad.PortMadService s
                && s.state() == org.irpverbs.ibal.internal.mad.PortMadService.State.RUNNING, "hca1/2's MAD service");
        assertRanOn(Role.AL_PNP, "QUERY_CA");
        assertEquals("QUERY_CA once per HCA", 2, ranFor("QUERY_CA").size());
        assertRanOn(Role.AL_PNP, "bus relations");
        // the MAD services' set-up: QUERY_PORT is also the bind's, so look at the service's own verbs
        assertRanOn(Role.AL_MISC, "CREATE_SPECIAL_QP");
        assertEquals("QP0 and QP1 on four ports", 8, ranFor("CREATE_SPECIAL_QP").size());
        assertRanOn(Role.AL_MISC, "MODIFY_QP");
        assertTrue("REQ_NOTIFY_CQ is sent at once, not from a worker", ranFor("REQ_NOTIFY_CQ").isEmpty());
        rig.assertClean();
    }

    @Test
    public void clientVerbsRunOnAlMiscAndDestructionOnAlObj() {
        start();
        rig.hcas.addDriver(ulp, 1, IbalIds.PORT_HARDWARE_ID);
        rig.settle();
        allMadServicesRunning();
        ran.clear(); // from here on only the client's verbs are IBAL's work (the MAD services run at steady state)
        Verbs v = new Verbs(rig.hcas.io, ulp.on(rig.child("hca0", 1).device()));
        // a chain sent from completions (DISPATCH), as a ULP sends: IBAL hands each verb to its thread
        QueuePair qp = HcaTestRig.await(v.allocPd().flatMap(pd -> v.createCq(8).flatMap(cq ->
                v.createQp(pd, QpType.UD, cq, cq, 2, 2, 1, 0, true))), "ALLOC_PD, CREATE_CQ, CREATE_QP from completions");
        assertRanOn(Role.AL_MISC, "ALLOC_PD");
        assertRanOn(Role.AL_MISC, "CREATE_CQ");
        assertRanOn(Role.AL_MISC, "CREATE_QP");
        HcaTestRig.await(v.destroy(qp), "DESTROY_QP");
        assertRanOn(Role.AL_OBJ, "DESTROY_QP");
        assertEquals(0, rig.clientsInUse("hca0", "QP"));
        // the client's driver leaves: its PD and CQ are destroyed from AL_OBJ, children first
        assertEquals(1, rig.clientsInUse("hca0", "PD"));
        rig.hcas.removeDriver(ulp);
        rig.settle();
        assertRanOn(Role.AL_OBJ, "object tree teardown");
        assertRanOn(Role.AL_OBJ, "DEALLOC_PD");
        assertRanOn(Role.AL_OBJ, "DESTROY_CQ");
        assertEquals(0, rig.clientsInUse("hca0", "PD"));
        assertEquals(0, rig.clientsInUse("hca0", "CQ"));
        rig.assertClean();
    }

    @Test
    public void caEventsRunOnAlMiscAndTheirPortChangesOnAlPnp() {
        start();
        allMadServicesRunning();
        ran.clear();
        rig.hcas.hardware("hca1").fabricPort(2).setLinkUp(false);
        IbalRig.eventually(() -> rig.child("hca1", 2) == null, "hca1 port 2's child going");
        rig.settle();
        assertRanOn(Role.AL_MISC, "CA event");
        assertRanOn(Role.AL_MISC, "QUERY_PORT"); // the port's re-query
        assertRanOn(Role.AL_PNP, "bus relations");
        // the port's MAD service was stopped: its QPs destroyed from AL_OBJ
        assertRanOn(Role.AL_OBJ, "DESTROY_QP");
        rig.assertClean();
    }

    @Test
    public void localMadsRunOnAlMisc() {
        start();
        IbalRig.eventually(() -> rig.ca("hca0").madService(1) instanceof org.irpverbs.ibal.internal.mad.PortMadService s
                && s.state() == org.irpverbs.ibal.internal.mad.PortMadService.State.RUNNING, "hca0/1's MAD service");
        allMadServicesRunning();
        ran.clear();
        MadAgent sm = HcaTestRig.value(rig.ca("hca0").madService(1).register(
                MadAgentSpec.client("sm", ManagementClass.SUBN_LID_ROUTED, 1), null), "register", IbalRig.LIVENESS_SECONDS);
        Mad nodeInfo = Mad.of(MadHeader.request(ManagementClass.SUBN_LID_ROUTED, 1, MadMethod.GET, sm.newTransactionId(),
                0x0011, 0), null);
        // to the port's own LID: through LOCAL_MAD (MAD_IFC) to the HCA's own SMA
        ReceivedMad answer = HcaTestRig.value(sm.send(new MadSend(nodeInfo, MadAddress.smi(1), 30_000_000_000L, 0))
                .result(), "SubnGet(NodeInfo) of hca0 itself", IbalRig.LIVENESS_SECONDS);
        assertEquals(MadMethod.GET_RESP, answer.mad().header().method());
        assertRanOn(Role.AL_MISC, "LOCAL_MAD");
        rig.assertClean();
    }

    @Test
    public void stoppingIbalEndsItsThreadsAndLaterWorkIsRefused() {
        start();
        LegacyWorkers workers = rig.core().legacyWorkers();
        List<Thread> threads = workers.threads();
        assertEquals(3, threads.size());
        rig.stopIbal();
        // IBAL's REMOVE completes only after the threads were joined on the system worker
        for (Thread t : threads) {
            assertFalse(t.getName() + " still alive after IBAL stopped", t.isAlive());
        }
        IbalRig.await(workers.whenStopped(), "the workers' stop");
        // a verb handed to a stopped worker gets DELETE_PENDING, never a hang
        VerbsRequest.QueryCa late = new VerbsRequest.QueryCa();
        int status = IbalRig.await(workers.call(Role.AL_MISC, rig.hcas.io, rig.hcas.hcaDevice("hca0").device(), late),
                "a verb after stop");
        assertEquals(NtStatus.name(NtStatus.DELETE_PENDING), NtStatus.name(status));
        assertTrue(late.error(), late.error().contains("ibal-al-misc thread has stopped"));
        rig.assertClean();
    }

    @Test
    public void queuedModeHasNoWorkers() {
        try (IbalRig queued = new IbalRig(IbalMode.QUEUED).withTavorAndMemFree()) {
            rig.close(); // this test's legacy rig is not used
            queued.twoHcas().startBus().startIbal();
            assertEquals(IbalMode.QUEUED, queued.core().mode());
            assertNull(queued.core().legacyWorkers());
            assertEquals(CommandMode.QUEUED, queued.tavor.options().commandMode());
            queued.assertChildren(4);
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                assertFalse("a worker thread in queued mode: " + t, t.isAlive() && Set.of("ibal-al-obj", "ibal-al-misc",
                        "ibal-al-pnp").contains(t.getName()));
            }
            queued.assertClean();
        }
        assertNotNull(rig);
    }
}
