package org.irpverbs.ibal.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.irpverbs.ibal.IbalIds;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.VerbsRequest;
import org.junit.After;
import org.junit.Test;

/**
 * Claim 6: IBAL creates no thread for verbs, destruction or events. 100 concurrent clients (25 on
 * each port child, each with its own objects) run 10,000 verbs with 1,000 destroys among them,
 * every step sent from the previous one's completion; then their driver leaves and IBAL destroys
 * what is left. No thread is alive afterwards that was not alive before.
 */
public class NoThreadsTest {
    private static final int CLIENTS = 100;
    private static final int ROUNDS = 10;
    /** Per round: ALLOC_PD, CREATE_CQ, CREATE_QP, six QUERY_QP, DESTROY_QP. */
    private static final int VERBS_PER_ROUND = 10;
    private static final int QUERIES = 6;

    private final IbalRig rig = new IbalRig().withTavorAndMemFree();
    private final TestUlpDriver ulp = new TestUlpDriver("ThreadCountUlp");
    private final AtomicInteger verbs = new AtomicInteger();
    private final AtomicInteger destroys = new AtomicInteger();

    @After
    public void tearDown() {
        rig.close();
    }

    private static Set<Thread> liveThreads() {
        Set<Thread> live = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive()) {
                live.add(t);
            }
        }
        return live;
    }

    /**
     * One client, written as a ULP is: each verb is a request to its own device, sent from the
     * previous request's completion (at DISPATCH), so the client needs no thread and waits for
     * nothing. Per round: ALLOC_PD, CREATE_CQ, CREATE_QP, {@value #QUERIES} QUERY_QP, DESTROY_QP.
     */
    private final class Client {
        private final DeviceObject device;
        private final CountDownLatch done;
        private final List<String> failures;
        private int round;
        private int rounds = ROUNDS;
        private int step;
        private ProtectionDomain pd;
        private CompletionQueue cq;
        private QueuePair qp;

        Client(DeviceObject device, CountDownLatch done, List<String> failures) {
            this.device = device;
            this.done = done;
            this.failures = failures;
        }

        void next() {
            if (round == rounds) {
                done.countDown();
                return;
            }
            VerbsRequest<?> request;
            if (step == 0) {
                request = new VerbsRequest.AllocPd();
            } else if (step == 1) {
                request = new VerbsRequest.CreateCq(4);
            } else if (step == 2) {
                request = new VerbsRequest.CreateQp(pd, QpType.UD, cq, cq, 1, 1, 1, 0, true);
            } else if (step < 3 + QUERIES) {
                request = new VerbsRequest.QueryQp(qp);
            } else {
                request = new VerbsRequest.Destroy(qp);
                destroys.incrementAndGet();
            }
            verbs.incrementAndGet();
            HcaRequests.send(rig.hcas.io, device, request, irp -> completed(request, irp.status()));
        }

        private void completed(VerbsRequest<?> request, int status) {
            if (!NtStatus.isSuccess(status)) {
                failures.add(HcaRequests.failure(request, status));
                done.countDown();
                return;
            }
            if (request instanceof VerbsRequest.AllocPd r) {
                pd = r.result();
            } else if (request instanceof VerbsRequest.CreateCq r) {
                cq = r.result();
            } else if (request instanceof VerbsRequest.CreateQp r) {
                qp = r.result();
            }
            step++;
            if (step == VERBS_PER_ROUND) {
                step = 0;
                round++;
            }
            next();
        }
    }

    @Test
    public void tenThousandVerbsAndAThousandDestroysByAHundredClientsStartNoThread() {
        rig.twoHcas().startBus().startIbal();
        rig.hcas.addDriver(ulp, 1, IbalIds.PORT_HARDWARE_ID);
        rig.settle();
        List<DeviceObject> devices = new ArrayList<>();
        for (String ca : List.of("hca0", "hca1")) {
            for (int port = 1; port <= 2; port++) {
                devices.add(ulp.on(rig.child(ca, port).device()));
            }
        }
        // one client's round alone first: the first run of each code path (class initialisation,
        // lambda linkage: the JVM's page faults, docs/architecture.md section 6) happens on one
        // thread at a time, not on both completion threads at once
        CountDownLatch warm = new CountDownLatch(1);
        List<String> warmFailures = new CopyOnWriteArrayList<>();
        Client warmUp = new Client(devices.get(0), warm, warmFailures);
        warmUp.rounds = 1;
        warmUp.next();
        try {
            assertTrue("the warm-up round hung", warm.await(30, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertEquals(List.of(), warmFailures);
        verbs.set(0);
        destroys.set(0);
        Set<Thread> before = liveThreads();
        CountDownLatch done = new CountDownLatch(CLIENTS);
        List<String> failures = new CopyOnWriteArrayList<>();
        List<Client> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(new Client(devices.get(c % devices.size()), done, failures));
        }
        for (Client c : clients) {
            c.next();
        }
        try {
            assertTrue("100 clients' verbs hung", done.await(120, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertEquals(List.of(), failures);
        assertEquals(CLIENTS * ROUNDS * VERBS_PER_ROUND, verbs.get());
        assertEquals(1000, destroys.get());
        // what is left (a PD and a CQ per round and client) IBAL destroys when the clients' driver goes
        assertEquals(CLIENTS * ROUNDS + 1, rig.clientsInUse("hca0", "PD") + rig.clientsInUse("hca1", "PD"));
        rig.hcas.removeDriver(ulp);
        rig.settle();
        for (String ca : List.of("hca0", "hca1")) {
            assertEquals(0, rig.clientsInUse(ca, "PD"));
            assertEquals(0, rig.clientsInUse(ca, "CQ"));
        }
        Set<Thread> after = liveThreads();
        after.removeAll(before);
        List<String> names = new ArrayList<>();
        for (Thread t : after) {
            names.add(t.getName());
        }
        assertTrue("threads that were not there before: " + names, after.isEmpty());
        rig.assertClean();
    }
}
