package org.irpverbs.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.inject.Inject;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.ibal.Ibal;
import org.irpverbs.ibal.IbalCa;
import org.irpverbs.ibal.IbalChild;
import org.irpverbs.ibal.IbalClient;
import org.irpverbs.ibal.IbalIds;
import org.irpverbs.ibal.IbalRegistration;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DispatchRoutine;
import org.irpverbs.irp.Driver;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpHandler;
import org.irpverbs.irp.PnpState;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.VerbsRequest;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;

/**
 * The IBAL bundle is updated while 100 clients run verbs through it. The clients are written as
 * ULPs are: 25 on each of the four port children, each sending its verbs (ALLOC_PD, CREATE_CQ,
 * CREATE_QP, MODIFY_QP to INIT, DESTROY_QP, DESTROY_CQ, DEALLOC_PD, round after round) to the
 * device its ULP driver has on the child, each verb from the previous one's completion. A
 * registered {@link IbalClient} watches the client contract across the update.
 * <p>
 * What must hold: no request is lost (each completes once, with success or one of the statuses
 * of a device being removed); the ULP driver's devices go and new ones come on the new
 * revision's children; the contract client gets remove() for both CAs from the old revision and
 * add() for both from the new one once it registers again; the HCAs end with the objects they had
 * before (the old revision's, its clients' and its MAD services', are all destroyed, the new
 * revision's MAD services hold what the old ones held); the new revision serves the clients'
 * verbs again; and nothing blocked at DISPATCH. Every wait is for a latch or a state, bounded at
 * 60 s only for liveness.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class IbalUpdateUnderLoadIT {
    private static final long LIVENESS_SECONDS = 60;
    private static final int CLIENTS = 100;
    private static final int PORTS = 4;
    /** Rounds each client runs before the update is started, and on the new revision. */
    private static final int ROUNDS_BEFORE = 3;
    private static final int ROUNDS_AFTER = 5;
    private static final List<String> RESOURCES = List.of("QP", "CQ", "PD", "MR", "AH");
    /** The statuses a request may end with because the device it went to is being removed. */
    private static final List<Integer> REMOVAL_STATUSES = List.of(NtStatus.DELETE_PENDING, NtStatus.DEVICE_REMOVED,
            NtStatus.CANCELLED, NtStatus.NO_SUCH_DEVICE);

    @Inject
    private BundleContext context;

    @Inject
    private IoManager io;

    @Configuration
    public Option[] config() {
        return Containers.irpverbs();
    }

    // ---- the ULP driver ----

    /** A port driver as IPoIB will be one: its device passes every internal request down to the port child. */
    static final class LoadUlp implements Driver {
        final List<DeviceObject> devices = new CopyOnWriteArrayList<>();
        final AtomicInteger removed = new AtomicInteger();
        private final DriverObject object = DriverObject.builder("LoadUlp")
                .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, DispatchRoutine.PASS_DOWN)
                .pnp(new PnpHandler() {
                    @Override
                    public CompletionStage<Integer> remove(DeviceObject device) {
                        removed.incrementAndGet();
                        return SUCCESS;
                    }
                })
                .build();


        @Override
        public DriverObject driverObject() {
            return object;
        }

        @Override
        public DeviceObject addDevice(IoManager io, DeviceObject physicalDevice) {
            DeviceObject fdo = io.createDevice(object, "LoadUlp-" + physicalDevice.name() + "#", DeviceObject.Kind.FUNCTION,
                    null);
            io.attach(fdo, physicalDevice);
            devices.add(fdo);
            return fdo;
        }

        /** The started devices, one per port child, by "ca/port". */
        Map<String, DeviceObject> started() {
            Map<String, DeviceObject> out = new HashMap<>();
            for (DeviceObject d : devices) {
                if (d.pnpState() == PnpState.STARTED && d.lowerDevice().extension() instanceof IbalChild c) {
                    out.put(c.caName() + "/" + c.portNumber(), d);
                }
            }
            return out;
        }
    }

    // ---- the clients ----

    /** What all clients of a phase report into. */
    static final class Phase {
        final CountDownLatch warmedUp = new CountDownLatch(CLIENTS);
        final CountDownLatch ended = new CountDownLatch(CLIENTS);
        final AtomicInteger sent = new AtomicInteger();
        final AtomicInteger completed = new AtomicInteger();
        final AtomicInteger succeeded = new AtomicInteger();
        final Map<String, AtomicInteger> removalStatuses = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    }

    /**
     * One client: a loop of verbs, each sent from the previous one's completion (at DISPATCH), so
     * it needs no thread. It runs {@code rounds} rounds (or, with 0, until its device goes) and
     * ends, once, when it has run them or a verb failed.
     */
    final class Client {
        private final DeviceObject device;
        private final int port;
        private final Phase phase;
        private final int rounds;
        private int round;
        private int step;
        private ProtectionDomain pd;
        private CompletionQueue cq;
        private QueuePair qp;

        Client(DeviceObject device, int port, Phase phase, int rounds) {
            this.device = device;
            this.port = port;
            this.phase = phase;
            this.rounds = rounds;
        }

        void next() {
            VerbsRequest<?> request = switch (step) {
                case 0 -> new VerbsRequest.AllocPd();
                case 1 -> new VerbsRequest.CreateCq(4);
                case 2 -> new VerbsRequest.CreateQp(pd, QpType.UD, cq, cq, 1, 1, 1, 0, true);
                case 3 -> new VerbsRequest.ModifyQp(qp, toInit(port));
                case 4 -> new VerbsRequest.Destroy(qp);
                case 5 -> new VerbsRequest.Destroy(cq);
                default -> new VerbsRequest.Destroy(pd);
            };
            phase.sent.incrementAndGet();
            io.internalDeviceControl(device, request.ioctl(), request, null, null)
                    .onSuccess(result -> completed(request, result.status()))
                    .onFailure(failure -> {
                        phase.completed.incrementAndGet();
                        phase.wrong.add(device.name() + ": " + request.getClass().getSimpleName() + " failed: " + failure);
                        phase.ended.countDown();
                    });
        }

        private void completed(VerbsRequest<?> request, int status) {
            phase.completed.incrementAndGet();
            if (!NtStatus.isSuccess(status)) {
                if (REMOVAL_STATUSES.contains(status)) {
                    phase.removalStatuses.computeIfAbsent(NtStatus.name(status), k -> new AtomicInteger()).incrementAndGet();
                } else {
                    phase.wrong.add(device.name() + ": " + request.getClass().getSimpleName() + " completed with "
                            + NtStatus.name(status) + (request.error() == null ? "" : ": " + request.error()));
                }
                phase.ended.countDown();
                return;
            }
            phase.succeeded.incrementAndGet();
            if (request instanceof VerbsRequest.AllocPd r) {
                pd = r.result();
            } else if (request instanceof VerbsRequest.CreateCq r) {
                cq = r.result();
            } else if (request instanceof VerbsRequest.CreateQp r) {
                qp = r.result();
            }
            if (++step == 7) {
                step = 0;
                round++;
                if (round == ROUNDS_BEFORE) {
                    phase.warmedUp.countDown();
                }
                if (round == rounds) {
                    phase.ended.countDown();
                    return;
                }
            }
            next();
        }
    }

    private static QpAttributes toInit(int port) {
        QpAttributes init = new QpAttributes().toState(QpState.INIT).set(QpAttributes.PKEY_INDEX).set(QpAttributes.PORT)
                .set(QpAttributes.QKEY);
        init.port = port;
        init.qkey = 0x22220000;
        return init;
    }

    /** Starts the 100 clients, 25 on each ULP device. */
    private Phase start(Map<String, DeviceObject> devices, int rounds) {
        List<String> slots = new ArrayList<>(devices.keySet());
        java.util.Collections.sort(slots);
        Phase phase = new Phase();
        List<Client> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            String slot = slots.get(c % slots.size());
            int port = Integer.parseInt(slot.substring(slot.indexOf('/') + 1));
            clients.add(new Client(devices.get(slot), port, phase, rounds));
        }
        for (Client c : clients) {
            c.next();
        }
        return phase;
    }

    // ---- the contract client ----

    /** A client of the contract that records its calls. */
    static final class Watcher implements IbalClient {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Override
        public String name() {
            return "update-watcher";
        }

        @Override
        public CompletionStage<?> add(IbalCa ca) {
            calls.add("add " + ca.name());
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> remove(IbalCa ca, Object context) {
            calls.add("remove " + ca.name());
            return CompletableFuture.completedFuture(null);
        }
    }

    // ---- helpers ----

    private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIVENESS_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not happen within " + LIVENESS_SECONDS + " s");
            }
            Thread.sleep(10);
        }
    }

    private static void await(CountDownLatch latch, String what) throws InterruptedException {
        assertTrue(what + " did not happen within " + LIVENESS_SECONDS + " s", latch.await(LIVENESS_SECONDS, TimeUnit.SECONDS));
    }

    private Ibal ibal() {
        ServiceReference<Ibal> ref = context.getServiceReference(Ibal.class);
        return ref == null ? null : context.getService(ref);
    }

    private boolean servesBothWithFourChildren(Ibal ibal) {
        if (ibal == null || ibal.cas().size() != 2 || !ibal.cas().stream().allMatch(ca -> ca.state() == IbalCa.State.BOUND)) {
            return false;
        }
        int children = 0;
        for (DeviceObject d : io.devices()) {
            if (d.extension() instanceof IbalChild && d.pnpState() != PnpState.DELETED) {
                children++;
            }
        }
        return children == PORTS;
    }

    /**
     * Whether the MAD service of every ACTIVE port of {@code ibal} is running (its QP0, QP1, CQ,
     * PD and MR made): an agent that serves nothing registers only with a running service
     * (DEVICE_NOT_READY otherwise), and is unregistered again at once.
     */
    private static boolean madServicesRunning(Ibal ibal) {
        for (IbalCa ca : ibal.cas()) {
            for (org.irpverbs.verbs.PortAttributes port : ca.ports()) {
                if (port.state() != org.irpverbs.verbs.PortState.ACTIVE) {
                    continue;
                }
                org.irpverbs.ibal.mad.MadService service = ca.madService(port.port());
                if (service == null) {
                    return false;
                }
                org.osgi.util.promise.Promise<org.irpverbs.ibal.mad.MadAgent> probe = service.register(
                        org.irpverbs.ibal.mad.MadAgentSpec.client("settled-probe", 0x09, 1), null);
                try {
                    if (!resolved(probe) || probe.getFailure() != null) {
                        return false;
                    }
                    if (!resolved(probe.getValue().unregister())) {
                        throw new AssertionError("unregistering the probe agent hung");
                    }
                } catch (InterruptedException | java.lang.reflect.InvocationTargetException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return true;
    }

    private static boolean resolved(org.osgi.util.promise.Promise<?> p) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        p.onResolve(done::countDown);
        return done.await(LIVENESS_SECONDS, TimeUnit.SECONDS);
    }

    /** Objects in use on both HCAs, by "hca/resource". */
    private Map<String, Integer> hcaObjects() {
        Map<String, Integer> out = new HashMap<>();
        for (DeviceObject d : io.devices()) {
            if (d.extension() instanceof HcaDevice hca && d.pnpState() == PnpState.STARTED) {
                for (String r : RESOURCES) {
                    out.put(hca.name() + "/" + r, hca.statistics().resources().get(r).inUse());
                }
            }
        }
        return out;
    }

    private Bundle ibalBundle() {
        for (Bundle b : context.getBundles()) {
            if ("ibal-bundle".equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("the IBAL bundle is not installed");
    }

    // ---- the test ----

    @Test
    public void updatingIbalUnderAHundredClientsLosesNoRequestAndLeavesNothingOfTheOldRevision() throws Exception {
        eventually(() -> servesBothWithFourChildren(ibal()), "IBAL bound to hca0 and hca1 with four port children");
        Ibal old = ibal();
        // the HCAs' objects with the old revision settled: its MAD services' QP0/QP1 and their PDs, CQs, MRs
        eventually(() -> madServicesRunning(old), "the old revision's MAD services running");
        // No warm-up: the first run of a lambda at DISPATCH (the PnP manager's first driver removal,
        // the new revision's code) links its call site, and on JDK 17 that can meet a monitor of the
        // JDK's Cleaner that Bundle.update() takes too; the blocking detector tells that wait apart
        // from a driver's (docs/architecture.md section 6), so it is measured as it comes.
        Map<String, Integer> baseline = hcaObjects();
        BlockingDetector.reset();
        DriverVerifier.reset();

        LoadUlp ulp = new LoadUlp();
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Driver.HARDWARE_IDS, IbalIds.PORT_HARDWARE_ID);
        ServiceRegistration<Driver> ulpRegistration = context.registerService(Driver.class, ulp, props);
        try {
            eventually(() -> ulp.started().size() == PORTS, "the ULP's devices on the four port children");
            Map<String, DeviceObject> before = ulp.started();
            Watcher watcher = new Watcher();
            IbalRegistration oldRegistration = old.register(watcher);
            eventually(() -> watcher.calls.size() == 2, "add() for both CAs");

            Phase running = start(before, 0);
            await(running.warmedUp, "every client running " + ROUNDS_BEFORE + " rounds");
            ibalBundle().update();

            // nothing hangs: every client ends on a request its removed device refused
            await(running.ended, "every client's last request completing");
            assertTrue("wrong completions: " + running.wrong, running.wrong.isEmpty());
            assertEquals("every request completed once", running.sent.get(), running.completed.get());
            int refused = running.removalStatuses.values().stream().mapToInt(AtomicInteger::get).sum();
            assertEquals("each client ended on one refused request", CLIENTS, refused);
            System.out.printf("IBAL update under %d clients: %d verbs, %d succeeded, refused %s; blocking so far: %d%n",
                    CLIENTS, running.sent.get(), running.succeeded.get(), running.removalStatuses,
                    BlockingDetector.violationCount());

            // the ULP's devices went with the old children; new ones came on the new revision's
            for (DeviceObject d : before.values()) {
                eventually(() -> d.pnpState() == PnpState.DELETED, d.name() + " going");
            }
            eventually(() -> {
                Ibal now = ibal();
                return now != null && now != old && servesBothWithFourChildren(now) && ulp.started().size() == PORTS;
            }, "the new revision bound to both HCAs with the ULP on its four children");
            Map<String, DeviceObject> after = ulp.started();
            for (String slot : before.keySet()) {
                assertNotSame(slot, before.get(slot), after.get(slot));
            }
            assertEquals("the ULP's old devices were removed", PORTS, ulp.removed.get());
            // add() in the order IBAL bound the CAs (the order DS bound their interfaces), remove() in reverse
            List<String> calls = new ArrayList<>(watcher.calls);
            assertEquals("add() and remove() for both CAs: " + calls, 4, calls.size());
            assertEquals(java.util.Set.of("add hca0", "add hca1"), java.util.Set.copyOf(calls.subList(0, 2)));
            assertEquals(calls.get(1).replace("add", "remove"), calls.get(2));
            assertEquals(calls.get(0).replace("add", "remove"), calls.get(3));
            // the old revision's registration is dead: its next event fails at once, it does not hang
            CountDownLatch oldEvent = new CountDownLatch(1);
            org.osgi.util.promise.Promise<?> next = oldRegistration.nextEvent().onResolve(oldEvent::countDown);
            await(oldEvent, "the old registration's NEXT_EVENT completing");
            assertNotNull("the old registration's NEXT_EVENT failed", next.getFailure());

            // nothing of the old revision is left on the HCAs: its clients' trees and MAD services are gone,
            // the new revision's MAD services hold what the old ones held
            Ibal fresh = ibal();
            eventually(() -> madServicesRunning(fresh), "the new revision's MAD services running");
            // the old revision's MAD services stop on its serial queue after its device's REMOVE
            // returned, so their last destroys may still be completing: a liveness bound, no window
            eventually(() -> baseline.equals(hcaObjects()), "the HCA objects back to " + baseline);

            // the contract client registers with the new revision and is told of both CAs
            Watcher again = new Watcher();
            IbalRegistration freshRegistration = fresh.register(again);
            eventually(() -> again.calls.size() == 2, "add() for both CAs from the new revision");
            assertEquals(java.util.Set.of("add hca0", "add hca1"), java.util.Set.copyOf(again.calls));

            // the new revision serves verbs: every client runs its rounds to the end
            long blockingBeforeServing = BlockingDetector.violationCount();
            Phase serving = start(after, ROUNDS_AFTER);
            await(serving.ended, "every client's rounds on the new revision");
            System.out.printf("IBAL's new revision: %d verbs; blocking before them %d, after %d%n", serving.sent.get(),
                    blockingBeforeServing, BlockingDetector.violationCount());
            assertTrue("wrong completions on the new revision: " + serving.wrong, serving.wrong.isEmpty());
            assertTrue("refusals on the new revision: " + serving.removalStatuses, serving.removalStatuses.isEmpty());
            assertEquals(CLIENTS * ROUNDS_AFTER * 7, serving.succeeded.get());
            assertEquals(baseline, hcaObjects());
            CountDownLatch fence = new CountDownLatch(1);
            freshRegistration.unregister().onResolve(fence::countDown);
            await(fence, "unregistering from the new revision");
        } finally {
            ulpRegistration.unregister();
        }
        io.pnpIdle().getValue();
        assertEquals("blocking at DISPATCH: " + BlockingDetector.recentViolations(), 0, BlockingDetector.violationCount());
        assertEquals("driver bugs: " + DriverVerifier.recentBugs(), 0, DriverVerifier.bugCount());
    }
}
