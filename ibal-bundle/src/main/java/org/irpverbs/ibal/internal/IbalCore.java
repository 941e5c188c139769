package org.irpverbs.ibal.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.irpverbs.ibal.Ibal;
import org.irpverbs.ibal.IbalCa;
import org.irpverbs.ibal.IbalClient;
import org.irpverbs.ibal.IbalEvent;
import org.irpverbs.ibal.IbalIds;
import org.irpverbs.ibal.IbalIoctl;
import org.irpverbs.ibal.IbalObjects;
import org.irpverbs.ibal.IbalRegistration;
import org.irpverbs.ibal.IbalRequest;
import org.irpverbs.ibal.internal.LegacyWorkers.Role;
import org.irpverbs.ibal.internal.mad.MadVerbs;
import org.irpverbs.ibal.internal.mad.PortMadService;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoStackLocation;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.SerialQueue;
import org.irpverbs.irp.SpinLock;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.AsyncEventType;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.PortState;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsInterface;
import org.irpverbs.verbs.VerbsRequest;
import org.osgi.util.promise.Promise;
import org.osgi.util.promise.Promises;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IBAL's state and operations: the CAs (one {@link CiCa} per HCA function device offering
 * {@link VerbsInterface#DEVICE_INTERFACE}), the registered clients, and IBAL's own device.
 * <pre>
 *   HCA interface arrives ─► bind: QUERY_INTERFACE(VerbsInterface), version check, QUERY_CA,
 *                            QUERY_PORT each port; a child per ACTIVE port (bus relations
 *                            invalidated); add() to each client in registration order; one
 *                            GET_ASYNC_EVENT kept pending on the HCA
 *   GET_ASYNC_EVENT completes ─► CA event: to each added client's and each child's event queue;
 *                            a port change re-queries the port and adds or drops its child
 *   a port child made ─► its P_Key table read (LOCAL_MAD); a partition child per configured
 *                            key it holds (again when the configuration changes)
 *   HCA interface leaves ─► children dropped (their stacks are surprise-removed), remove() to each
 *                            client in reverse registration order
 *   register / unregister ─► add() for every bound CA / remove() for each, then the fence completes
 * </pre>
 * Every operation runs on one {@link SerialQueue}, so they never overlap and the client contract's
 * order holds without a lock held across a callback; every wait is a request's completion. IBAL
 * creates no thread (docs/architecture.md section 12) — except in {@link IbalMode#LEGACY}, the
 * WinOF contrast, where the verbs IBAL sends to an HCA, its CA events, its destruction and its bus
 * relation changes are handed to {@link LegacyWorkers}' three threads at the fork points marked
 * {@code legacy != null}; the queued path is unchanged.
 *
 * <p>Thread-safe: the lists change only on the serial queue and are published as immutable
 * snapshots; every public method returns at once and may be called at DISPATCH.
 */
public final class IbalCore implements Ibal {
    private static final Logger LOG = LoggerFactory.getLogger(IbalCore.class);

    /** Told when IBAL's device starts and stops (the OSGi component registers the {@link Ibal} service then). */
    public interface Lifecycle {
        Lifecycle NONE = new Lifecycle() {};

        default void started(Ibal ibal) {
        }

        default void stopped(Ibal ibal) {
        }
    }

    final IoManager io;
    private final DriverObject driver;
    private final Lifecycle lifecycle;
    private final SerialQueue serial;
    private final IbalMode mode;
    /** The worker threads in legacy mode; null in queued mode. */
    private final LegacyWorkers legacy;
    /** Touched only on the serial queue. */
    private final List<CiCa> cas = new ArrayList<>();
    private final List<Registration> clients = new ArrayList<>();
    private volatile List<CiCa> caSnapshot = List.of();
    private volatile List<Registration> clientSnapshot = List.of();
    private volatile DeviceObject device;
    private volatile boolean shutDown;
    private final SpinLock earlyLock = new SpinLock();
    /** HCA changes before IBAL's device started; guarded by earlyLock. */
    private final List<HcaChange> early = new ArrayList<>();
    private boolean started;
    private volatile UserPath userPath;
    /** The configured partitions (docs/architecture.md section 12); a new value is applied on the serial queue. */
    private volatile PartitionKeys partitionKeys = PartitionKeys.NONE;

    IbalCore(IoManager io, DriverObject driver, Lifecycle lifecycle, IbalMode mode) {
        if (mode == null) {
            throw new IllegalArgumentException("IBAL needs a mode (queued or legacy)");
        }
        this.io = io;
        this.driver = driver;
        this.lifecycle = lifecycle;
        this.serial = new SerialQueue(io, "IBAL");
        this.mode = mode;
        this.legacy = mode == IbalMode.LEGACY ? new LegacyWorkers(io) : null;
    }

    /** The mode IBAL was made in. */
    public IbalMode mode() {
        return mode;
    }

    /** The worker threads in legacy mode (their test seam, names and state); null in queued mode. */
    public LegacyWorkers legacyWorkers() {
        return legacy;
    }

    /** One of IBAL's own verbs to an HCA: sent from here (queued), or from {@code role}'s worker (legacy). */
    private CompletableFuture<Integer> call(Role role, DeviceObject hca, VerbsRequest<?> request) {
        return legacy == null ? HcaRequests.call(io, hca, request) : legacy.call(role, io, hca, request);
    }

    // ---- binding to HCAs ----

    /** An HCA function device offers the verbs interface (a DS bind, or a test's listener). */
    public void hcaArrived(DeviceObject hca) {
        if (!holdUntilStarted(hca, true)) {
            serial.enqueue(() -> bind(hca));
        }
    }

    /** The HCA's interface is going away (its stack is being removed). */
    public void hcaLeft(DeviceObject hca) {
        if (!holdUntilStarted(hca, false)) {
            serial.enqueue(() -> leave(hca));
        }
    }

    /**
     * Before IBAL's device started, HCA arrivals and departures are kept in order and replayed at
     * START: IBAL's code runs at DISPATCH only once the I/O manager has loaded its bundle's classes
     * at PASSIVE, which it does before it gives the driver its device (docs/architecture.md
     * section 6). DS binds the HCA interfaces as soon as the component activates, earlier than that.
     *
     * @return true if the change was kept for later
     */
    private boolean holdUntilStarted(DeviceObject hca, boolean arrived) {
        earlyLock.lock();
        try {
            if (started) {
                return false;
            }
            early.add(new HcaChange(hca, arrived));
            return true;
        } finally {
            earlyLock.unlock();
        }
    }

    private record HcaChange(DeviceObject hca, boolean arrived) {
    }

    private CompletionStage<Void> bind(DeviceObject hca) {
        if (shutDown || find(hca) != null) {
            return SerialQueue.done();
        }
        CiCa ca = new CiCa(hca, hca.name());
        cas.add(ca);
        publish();
        return stage(io.queryInterface(hca, VerbsInterface.class)).handle((verbs, failure) -> {
            if (failure != null) {
                refuse(ca, failure instanceof IoStatusException s ? s.status() : NtStatus.NOT_SUPPORTED,
                        hca.name() + " offers no verbs interface: " + failure.getMessage());
                return null;
            }
            if (VerbsInterface.major(verbs.version()) != VerbsInterface.MAJOR_1) {
                refuse(ca, NtStatus.REVISION_MISMATCH, hca.name() + " offers verbs interface version "
                        + VerbsInterface.toString(verbs.version()) + "; IBAL supports " + VerbsInterface.MAJOR_1 + ".x");
                return null;
            }
            ca.setVerbs(verbs);
            ca.setName(verbs.name());
            return verbs;
        }).thenCompose(verbs -> verbs == null ? SerialQueue.done() : query(ca));
    }

    /** QUERY_CA, then QUERY_PORT for each port in turn, then the CA is bound. */
    private CompletionStage<Void> query(CiCa ca) {
        VerbsRequest.QueryCa queryCa = new VerbsRequest.QueryCa();
        return call(Role.AL_PNP, ca.hca, queryCa).thenCompose(status -> {
            if (!NtStatus.isSuccess(status)) {
                refuse(ca, status, ca.name() + ": " + HcaRequests.failure(queryCa, status));
                return SerialQueue.done();
            }
            ca.setAttributes(queryCa.result());
            return queryPort(ca, 1);
        });
    }

    private CompletionStage<Void> queryPort(CiCa ca, int port) {
        if (port > ca.portCount()) {
            return bound(ca);
        }
        VerbsRequest.QueryPort query = new VerbsRequest.QueryPort(port);
        return call(Role.AL_PNP, ca.hca, query).thenCompose(status -> {
            if (!NtStatus.isSuccess(status)) {
                refuse(ca, status, ca.name() + ": " + HcaRequests.failure(query, status));
                return SerialQueue.done();
            }
            ca.setPort(query.result());
            return queryPort(ca, port + 1);
        });
    }

    private CompletionStage<Void> bound(CiCa ca) {
        ca.setState(IbalCa.State.BOUND);
        boolean changed = false;
        for (int p = 1; p <= ca.portCount(); p++) {
            changed |= updateChild(ca, ca.port(p));
        }
        if (changed) {
            invalidate();
        }
        pumpEvents(ca);
        String summary = ca.name() + ": verbs interface " + VerbsInterface.toString(ca.interfaceVersion()) + ", "
                + ca.portCount() + " port(s), " + ca.portChildren().size() + " active";
        io.queueWorkItem(() -> LOG.info("IBAL bound {}", summary));
        CompletionStage<Void> work = SerialQueue.done();
        for (Registration reg : new ArrayList<>(clients)) {
            work = work.thenCompose(v -> add(reg, ca));
        }
        return work;
    }

    private void refuse(CiCa ca, int status, String why) {
        ca.refuse(status, why);
        io.queueWorkItem(() -> LOG.error("IBAL refused {}: {} ({}); other HCAs are still served", ca.name(), why,
                NtStatus.name(status)));
    }

    private CompletionStage<Void> leave(DeviceObject hca) {
        CiCa ca = find(hca);
        if (ca == null) {
            return SerialQueue.done();
        }
        return detach(ca).thenRun(() -> {
            cas.remove(ca);
            publish();
        });
    }

    /** The CA stops being served: its children go, its clients get remove() in reverse order. */
    private CompletionStage<Void> detach(CiCa ca) {
        boolean wasBound = ca.state() == IbalCa.State.BOUND;
        ca.setState(IbalCa.State.GONE);
        UserPath user = userPath;
        if (user != null && wasBound) {
            user.caLeft(ca);
        }
        Irp events = ca.eventRequest;
        if (events != null) {
            events.cancel();
        }
        boolean hadChildren = false;
        for (int p = 1; p <= ca.portCount(); p++) {
            if (ca.child(p) != null) {
                ca.setChild(p, null);
                ca.setPartitions(p, List.of());
                stopMadService(ca, p);
                hadChildren = true;
            }
        }
        if (hadChildren) {
            invalidate();
        }
        CompletionStage<Void> work = SerialQueue.done();
        if (wasBound) {
            for (int i = clients.size() - 1; i >= 0; i--) {
                Registration reg = clients.get(i);
                work = work.thenCompose(v -> remove(reg, ca));
            }
        }
        return work;
    }

    private CiCa find(DeviceObject hca) {
        for (CiCa ca : cas) {
            if (ca.hca == hca) {
                return ca;
            }
        }
        return null;
    }

    // ---- port children ----

    /** Adds or drops the port's child for its state; true if the children changed. */
    private boolean updateChild(CiCa ca, PortAttributes port) {
        if (port == null) {
            return false;
        }
        PortChild existing = ca.child(port.port());
        boolean active = port.state() == PortState.ACTIVE;
        if (active && existing == null) {
            PortChild child = new PortChild(io, ca, port.port(), port.portGuid(), port.lid(), null, legacy);
            DeviceObject pdo = io.createPhysicalDevice(driver, ca.name() + "-port" + port.port() + "-ipoib#",
                    List.of(IbalIds.PORT_HARDWARE_ID), child);
            // before the PnP manager learns of the child, so no request arrives without its queues
            child.bind(pdo);
            ca.setChild(port.port(), child);
            startMadService(ca, port.port());
            if (!partitionKeys.keys().isEmpty()) {
                serial.enqueue(() -> updatePartitions(ca, port.port()));
            }
            return true;
        }
        if (!active && existing != null) {
            ca.setChild(port.port(), null);
            ca.setPartitions(port.port(), List.of());
            stopMadService(ca, port.port());
            return true;
        }
        return false;
    }

    // ---- partition children ----

    /**
     * Sets the configured partition keys (the OSGi component's configuration): every ACTIVE port
     * of every bound CA gets its partition children brought in line, on the serial queue.
     */
    void configurePartitionKeys(PartitionKeys keys) {
        partitionKeys = keys;
        earlyLock.lock();
        boolean running;
        try {
            running = started;
        } finally {
            earlyLock.unlock();
        }
        if (running) {
            // before START the CAs are not bound yet: binding reads the keys
            serial.enqueue(() -> {
                CompletionStage<Void> work = SerialQueue.done();
                for (CiCa ca : new ArrayList<>(cas)) {
                    for (int p = 1; p <= ca.portCount(); p++) {
                        int port = p;
                        work = work.thenCompose(v -> updatePartitions(ca, port));
                    }
                }
                return work;
            });
        }
    }

    /**
     * Brings the port's partition children in line with the configured keys and its P_Key table
     * (read from the HCA's agent with LOCAL_MAD, WinOF's bus driver reads it with ib_query_ca):
     * one child per configured key the table holds; a key it does not hold is one log line and no
     * child. Children whose key is still configured and held stay as they are.
     */
    private CompletionStage<Void> updatePartitions(CiCa ca, int port) {
        PortChild portChild = ca.child(port);
        List<Integer> wanted = partitionKeys.keys();
        if (ca.state() != IbalCa.State.BOUND || portChild == null) {
            return SerialQueue.done(); // the port went down or the CA left: its partitions went with it
        }
        if (wanted.isEmpty()) {
            if (!ca.partitions(port).isEmpty()) {
                ca.setPartitions(port, List.of());
                invalidate();
            }
            return SerialQueue.done();
        }
        return PKeyTable.read(request -> call(Role.AL_MISC, ca.hca, request), port).handle((table, failure) -> {
            if (ca.state() != IbalCa.State.BOUND || ca.child(port) != portChild) {
                return null; // the port changed while the table was read; its new child reads it again
            }
            if (failure != null) {
                String why = failure.getMessage();
                io.queueWorkItem(() -> LOG.error("IBAL: {} port {} has no partition children: {}", ca.name(), port, why));
                return null;
            }
            List<PortChild> now = new ArrayList<>();
            List<String> notHeld = new ArrayList<>();
            for (int key : wanted) {
                int index = PartitionKeys.indexIn(table, key);
                if (index < 0) {
                    notHeld.add(PartitionKeys.hex(key));
                    continue;
                }
                PortChild existing = null;
                for (PortChild c : ca.partitions(port)) {
                    if (c.partitionKey() == table[index] && c.partitionKeyIndex() == index) {
                        existing = c;
                    }
                }
                now.add(existing != null ? existing : partitionChild(ca, portChild, new PortChild.Partition(table[index], index)));
            }
            if (!notHeld.isEmpty()) {
                String keys = String.join(", ", notHeld);
                io.queueWorkItem(() -> LOG.warn("IBAL: {} port {}'s P_Key table does not hold {}: no partition child",
                        ca.name(), port, keys));
            }
            if (!now.equals(ca.partitions(port))) {
                ca.setPartitions(port, now);
                invalidate();
            }
            return null;
        });
    }

    private PortChild partitionChild(CiCa ca, PortChild portChild, PortChild.Partition partition) {
        PortChild child = new PortChild(io, ca, portChild.portNumber(), portChild.portGuid(), portChild.lid(), partition, legacy);
        DeviceObject pdo = io.createPhysicalDevice(driver, ca.name() + "-port" + portChild.portNumber() + "-pkey"
                + String.format("%04x", partition.pkey()) + "-ipoib#", List.of(IbalIds.PORT_HARDWARE_ID), child);
        child.bind(pdo);
        return child;
    }

    /**
     * The port's MAD service (QP0, QP1, agents) runs while the port has its child. Its start and
     * stop are operations of the serial queue of their own, queued after the current one: no two
     * run at once (so no two completion threads first-run the same code together, docs/architecture.md
     * §6), and a stop follows the start it undoes. A failed start logs why and leaves the port
     * without agents.
     */
    private void startMadService(CiCa ca, int port) {
        Verbs verbs = new Verbs(io, ca.hca);
        PortMadService mad = PortMadService.create(io,
                legacy == null ? MadVerbs.direct(verbs) : MadVerbs.via(verbs, legacy.madIssuer()), ca.speedPath(), port);
        PortMadService old = ca.setMadService(port, mad);
        if (old != null) {
            stopped(ca, old);
        }
        ca.madServicesAlive.add(mad);
        serial.enqueue(() -> stage(mad.start().recover(failed -> null)));
    }

    /** Stops the port's MAD service: its agents' transactions settle CANCELLED, its QPs are destroyed. */
    private void stopMadService(CiCa ca, int port) {
        PortMadService mad = ca.setMadService(port, null);
        if (mad != null) {
            stopped(ca, mad);
        }
    }

    private void stopped(CiCa ca, PortMadService mad) {
        // a failed destroy is logged by the service itself
        serial.enqueue(() -> stage(mad.stop().recover(failed -> null).onResolve(() -> ca.madServicesAlive.remove(mad))));
    }

    private void invalidate() {
        DeviceObject d = device;
        if (d != null) {
            if (legacy == null) {
                io.invalidateDeviceRelations(d);
            } else {
                legacy.run(Role.AL_PNP, "bus relations", () -> io.invalidateDeviceRelations(d));
            }
        }
    }

    /** IBAL's bus relations: every child of every bound CA. */
    List<DeviceObject> children() {
        List<DeviceObject> out = new ArrayList<>();
        for (CiCa ca : caSnapshot) {
            if (ca.state() == IbalCa.State.BOUND) {
                for (PortChild child : ca.portChildren()) {
                    out.add(child.device());
                }
            }
        }
        return out;
    }

    // ---- CA events ----

    /** Keeps one GET_ASYNC_EVENT pending on the HCA; each completion is a CA event. */
    private void pumpEvents(CiCa ca) {
        VerbsRequest.GetAsyncEvent request = new VerbsRequest.GetAsyncEvent();
        Irp irp = HcaRequests.send(io, ca.hca, request, done -> {
            if (NtStatus.isSuccess(done.status())) {
                AsyncEvent event = request.result();
                if (legacy == null) {
                    serial.enqueue(() -> caEvent(ca, event));
                } else {
                    serial.enqueue(() -> legacy.run(Role.AL_MISC, "CA event", () -> caEvent(ca, event), null));
                }
                if (ca.state() == IbalCa.State.BOUND) {
                    // from a fresh DPC: the HCA's kept events complete synchronously, one after another
                    io.queueDpc(() -> pumpEvents(ca));
                }
                return;
            }
            int status = done.status();
            if (status != NtStatus.CANCELLED && status != NtStatus.DELETE_PENDING && status != NtStatus.DEVICE_REMOVED) {
                String why = HcaRequests.failure(request, status);
                io.queueWorkItem(() -> LOG.error("IBAL no longer hears {}'s events: {}", ca.name(), why));
            }
        });
        ca.eventRequest = irp;
        if (ca.state() != IbalCa.State.BOUND) {
            irp.cancel(); // the CA was detached while this request went out
        }
    }

    private CompletionStage<Void> caEvent(CiCa ca, AsyncEvent event) {
        if (ca.state() != IbalCa.State.BOUND) {
            return SerialQueue.done();
        }
        IbalEvent forClients = new IbalEvent(ca.name(), event);
        for (Registration reg : clients) {
            if (reg.added(ca)) {
                reg.events.raise(forClients);
            }
        }
        for (PortChild child : ca.portChildren()) {
            child.raise(event);
        }
        boolean portChange = event.type() == AsyncEventType.PORT_ACTIVE || event.type() == AsyncEventType.PORT_DOWN;
        if (!portChange || event.port() < 1 || event.port() > ca.portCount()) {
            return SerialQueue.done();
        }
        VerbsRequest.QueryPort query = new VerbsRequest.QueryPort(event.port());
        return call(Role.AL_MISC, ca.hca, query).thenAccept(status -> {
            if (!NtStatus.isSuccess(status) || ca.state() != IbalCa.State.BOUND) {
                return; // the HCA is going: its leaving drops the children
            }
            ca.setPort(query.result());
            if (updateChild(ca, query.result())) {
                invalidate();
            }
        });
    }

    // ---- the client contract ----

    @Override
    public IbalRegistration register(IbalClient client) {
        if (client == null) {
            throw new IllegalArgumentException("register needs a client");
        }
        DeviceObject d = device;
        if (d == null || shutDown) {
            throw new IllegalStateException("IBAL is not running: its device has not started or was removed");
        }
        Registration reg = new Registration(this, client, d);
        serial.enqueue(() -> {
            if (shutDown) {
                reg.unregistered = true;
                reg.events.dispose(NtStatus.DELETE_PENDING);
                return SerialQueue.done();
            }
            clients.add(reg);
            publish();
            CompletionStage<Void> work = SerialQueue.done();
            for (CiCa ca : new ArrayList<>(cas)) {
                work = work.thenCompose(v -> add(reg, ca));
            }
            return work;
        });
        return reg;
    }

    private CompletionStage<Void> add(Registration reg, CiCa ca) {
        if (reg.unregistered || ca.state() != IbalCa.State.BOUND) {
            return SerialQueue.done();
        }
        CompletionStage<?> stage;
        try {
            stage = reg.client().add(ca);
            if (stage == null) {
                stage = CompletableFuture.failedFuture(new IllegalStateException("add() returned no stage"));
            }
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        return stage.handle((context, failure) -> {
            if (failure == null) {
                reg.setContext(ca, context);
            } else {
                String why = String.valueOf(failure.getMessage() != null ? failure.getMessage() : failure);
                io.queueWorkItem(() -> LOG.warn("IBAL client {} declined {}: {}; it gets nothing more for it",
                        reg.client().name(), ca.name(), why));
            }
            return null;
        });
    }

    private CompletionStage<Void> remove(Registration reg, CiCa ca) {
        if (!reg.added(ca)) {
            return SerialQueue.done();
        }
        CompletionStage<Void> stage;
        try {
            stage = reg.client().remove(ca, reg.context(ca));
            if (stage == null) {
                stage = SerialQueue.done();
            }
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        return stage.handle((v, failure) -> {
            reg.clearContext(ca);
            if (failure != null) {
                io.queueWorkItem(() -> LOG.warn("IBAL client {}: remove({}) failed: {}", reg.client().name(), ca.name(),
                        failure.toString()));
            }
            return null;
        });
    }

    private CompletionStage<Void> unregister(Registration reg) {
        if (reg.unregistered) {
            return SerialQueue.done();
        }
        CompletionStage<Void> work = SerialQueue.done();
        for (int i = cas.size() - 1; i >= 0; i--) {
            CiCa ca = cas.get(i);
            work = work.thenCompose(v -> remove(reg, ca));
        }
        return work.thenRun(() -> {
            reg.unregistered = true;
            clients.remove(reg);
            publish();
            reg.events.dispose(NtStatus.CANCELLED);
        });
    }

    /** Sends one of IBAL's own requests to its device, as a promise of its completion. */
    Promise<Void> send(int ioctl, IbalRequest argument) {
        DeviceObject d = device;
        if (d == null) {
            return Promises.failed(new IoStatusException(NtStatus.DELETE_PENDING, "IBAL's device is gone"));
        }
        return io.internalDeviceControl(d, ioctl, argument, null, null).flatMap(done -> {
            if (NtStatus.isSuccess(done.status())) {
                return Promises.resolved(null);
            }
            String why = argument.error() != null ? argument.error() : IbalIoctl.name(ioctl) + " failed";
            return Promises.failed(new IoStatusException(done.status(), why));
        });
    }

    /** INTERNAL_DEVICE_CONTROL on IBAL's own device: the client contract's requests. */
    int dispatchOwnDevice(Irp irp) {
        IoStackLocation location = irp.currentLocation();
        int code = location.ioControlCode();
        Object argument = location.argument();
        if (code == IbalIoctl.NEXT_EVENT || code == IbalIoctl.UNREGISTER) {
            IbalRegistration target = argument instanceof IbalRequest.NextEvent e ? e.registration
                    : argument instanceof IbalRequest.Unregister u ? u.registration : null;
            if (!(target instanceof Registration reg) || reg.core != this) {
                if (argument instanceof IbalRequest r) {
                    r.setError("the request names no registration of this IBAL");
                }
                irp.complete(NtStatus.INVALID_PARAMETER);
                return NtStatus.INVALID_PARAMETER;
            }
            if (code == IbalIoctl.NEXT_EVENT) {
                if (!(argument instanceof IbalRequest.NextEvent)) {
                    irp.complete(NtStatus.INVALID_PARAMETER);
                    return NtStatus.INVALID_PARAMETER;
                }
                return reg.events.request(irp);
            }
            irp.markPending();
            serial.enqueue(() -> unregister(reg)).whenComplete((v, f) -> irp.complete(NtStatus.SUCCESS));
            return NtStatus.PENDING;
        }
        irp.complete(NtStatus.INVALID_DEVICE_REQUEST);
        return NtStatus.INVALID_DEVICE_REQUEST;
    }

    // ---- IBAL's own device ----

    /** START of IBAL's device: it reports the children from now on. */
    void deviceStarted(DeviceObject ibalDevice) {
        if (legacy != null) {
            io.queueWorkItem(legacy::start); // a thread is started at PASSIVE, never from this DPC
        }
        this.device = ibalDevice;
        List<HcaChange> held;
        earlyLock.lock();
        try {
            started = true;
            held = new ArrayList<>(early);
            early.clear();
        } finally {
            earlyLock.unlock();
        }
        for (HcaChange change : held) {
            if (change.arrived()) {
                serial.enqueue(() -> bind(change.hca()));
            } else {
                serial.enqueue(() -> leave(change.hca()));
            }
        }
        lifecycle.started(this);
    }

    /**
     * IBAL is stopping (its device's REMOVE, after its children were removed, or the component's
     * deactivation just before that): every CA is detached, every client gets remove() and its
     * events fail with DELETE_PENDING.
     */
    CompletionStage<Void> shutdown() {
        return detachAll();
    }

    /**
     * REMOVE of IBAL's device: {@link #shutdown}, then the MAD services' stops it queued run; in
     * legacy mode the worker threads are then stopped
     * (after the MAD services' stops it queued) and the stage completes once they were joined. Only
     * here, not at deactivation: the PnP manager removes IBAL's children (whose object trees are
     * torn down on AL_OBJ) before IBAL's own device.
     */
    CompletionStage<Void> removed() {
        CompletionStage<Void> detached = detachAll();
        if (legacy == null) {
            // the MAD services' stops were queued behind the detach: REMOVE completes once they
            // ran, so IBAL gone means nothing of its own is left on the HCAs
            return detached.thenCompose(v -> serial.enqueue(SerialQueue::done));
        }
        return detached.thenCompose(v -> serial.enqueue(legacy::stop));
    }

    private CompletionStage<Void> detachAll() {
        return serial.enqueue(() -> {
            if (shutDown) {
                return SerialQueue.done();
            }
            shutDown = true;
            lifecycle.stopped(this);
            CompletionStage<Void> work = SerialQueue.done();
            for (int i = cas.size() - 1; i >= 0; i--) {
                CiCa ca = cas.get(i);
                work = work.thenCompose(v -> detach(ca));
            }
            return work.thenRun(() -> {
                for (Registration reg : clients) {
                    reg.unregistered = true;
                    reg.events.dispose(NtStatus.DELETE_PENDING);
                }
                clients.clear();
                cas.clear();
                publish();
                device = null;
            });
        });
    }

    @Override
    public CompletionStage<Void> idle() {
        return serial.enqueue(SerialQueue::done);
    }

    boolean isShutDown() {
        return shutDown;
    }

    // ---- views ----

    private void publish() {
        caSnapshot = List.copyOf(cas);
        clientSnapshot = List.copyOf(clients);
    }

    @Override
    public List<IbalCa> cas() {
        return List.copyOf(caSnapshot);
    }

    @Override
    public List<IbalRegistration> clients() {
        return List.copyOf(clientSnapshot);
    }

    @Override
    public List<IbalObjects> objects() {
        List<IbalObjects> out = new ArrayList<>();
        for (CiCa ca : caSnapshot) {
            for (PortChild child : ca.portChildren()) {
                IbalObjects objects = child.objects();
                if (objects != null) {
                    out.add(objects);
                }
            }
        }
        UserPath user = userPath;
        if (user != null) {
            out.addAll(user.objects());
        }
        return out;
    }

    /** The user-mode path of IBAL's device (set when the device is created). */
    void setUserPath(UserPath path) {
        this.userPath = path;
    }

    UserPath userPath() {
        return userPath;
    }

    /** IBAL's device, or null while it is not started. */
    DeviceObject device() {
        return device;
    }

    private static <T> CompletableFuture<T> stage(Promise<T> promise) {
        CompletableFuture<T> stage = new CompletableFuture<>();
        promise.onSuccess(stage::complete).onFailure(stage::completeExceptionally);
        return stage;
    }
}
