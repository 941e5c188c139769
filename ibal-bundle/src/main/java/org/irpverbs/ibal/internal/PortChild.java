package org.irpverbs.ibal.internal;

import java.util.List;
import java.util.concurrent.CompletionStage;
import org.irpverbs.ibal.IbalChild;
import org.irpverbs.ibal.IbalIds;
import org.irpverbs.ibal.IbalObjects;
import org.irpverbs.irp.CancelSafeQueue;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.PendingEventQueue;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoStackLocation;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.IrpCompletionListener;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpHandler;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.VerbsIoctl;
import org.irpverbs.verbs.VerbsRequest;
import org.irpverbs.verbs.VerbsSpeedPath;

/**
 * The extension of a port child: the physical device IBAL creates for an ACTIVE CA port, with
 * hardware ID {@link IbalIds#PORT_HARDWARE_ID} and the port GUID as instance ID, for port drivers
 * (IPoIB) to attach to; or of a partition child, the same for one configured partition the port's
 * P_Key table holds (instance ID {@link IbalIds#partitionInstanceId}), which behaves alike.
 * <pre>
 *   ULP device (e.g. IPoIB FDO)   its driver sends verbs IOCTLs to its own stack; they pass down
 *     │ INTERNAL_DEVICE_CONTROL (VerbsRequest)
 *   [port child: this]   checks the request against the client's {@link ObjectTree}, keeps the
 *     │                  request pending in a cancel-safe queue, and sends the same VerbsRequest
 *     │                  down in a new packet:
 *   [HCA function device]   (another stack) → command interface → hardware
 *
 *   GET_ASYNC_EVENT       answered here: IBAL owns the HCA's event request and hands each CA
 *                         event to every child's queue (the ULP's request completes)
 *   QUERY_INTERFACE(VerbsSpeedPath)   the HCA's own speed path: no code of IBAL's on post/poll
 * </pre>
 * The client is the driver stack on the child: it gets a fresh object tree when its stack starts,
 * and when the stack is removed (its driver left, the port went down, the HCA left) everything it
 * created is destroyed children first before REMOVE goes on.
 *
 * <p>Thread-safe: the client is swapped only by PnP (serial); requests read it once.
 */
final class PortChild implements IbalChild {
    /** The verbs of one driver stack on this child. */
    private static final class Client {
        final ObjectTree tree;

        Client(ObjectTree tree) {
            this.tree = tree;
        }
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PortChild.class);
    /** The teardown's result when the destroy thread had already stopped. */
    private static final int NOT_TORN_DOWN = -1;

    private final IoManager io;
    /** IBAL's worker threads in legacy mode, null in queued mode. */
    private final LegacyWorkers legacy;
    private final CiCa ca;
    private final int port;
    private final long portGuid;
    private final int lid;
    /** The partition's P_Key and its index in the port's table; null for the port child itself. */
    private final Partition partition;
    private volatile DeviceObject device;
    private volatile CancelSafeQueue forwarded;
    private volatile PendingEventQueue<AsyncEvent> events;
    private volatile Client client;

    /** A configured partition a port's P_Key table holds: its key as the table holds it, and where. */
    record Partition(int pkey, int index) {
    }

    /**
     * The child of one of the port's partitions ({@code partition} non-null), or of the port (null);
     * {@code legacy} is IBAL's worker threads in legacy mode, null in queued mode.
     */
    PortChild(IoManager io, CiCa ca, int port, long portGuid, int lid, Partition partition, LegacyWorkers legacy) {
        this.io = io;
        this.legacy = legacy;
        this.ca = ca;
        this.port = port;
        this.portGuid = portGuid;
        this.lid = lid;
        this.partition = partition;
    }

    /** Called once the physical device exists, before the PnP manager learns of it. */
    void bind(DeviceObject pdo) {
        this.device = pdo;
        this.forwarded = new CancelSafeQueue(pdo, pdo.name() + " forwarded verbs");
        this.events = new PendingEventQueue<>(pdo, pdo.name() + " async events",
                (irp, event) -> ((VerbsRequest.GetAsyncEvent) irp.currentLocation().argument()).setResult(event));
    }

    // ---- IbalChild ----

    @Override
    public Kind kind() {
        return partition == null ? Kind.PORT : Kind.PARTITION;
    }

    @Override
    public DeviceObject device() {
        return device;
    }

    @Override
    public List<String> hardwareIds() {
        return List.of(IbalIds.PORT_HARDWARE_ID);
    }

    @Override
    public String instanceId() {
        return partition == null ? IbalIds.portInstanceId(portGuid) : IbalIds.partitionInstanceId(portGuid, partition.pkey());
    }

    @Override
    public String caName() {
        return ca.name();
    }

    @Override
    public int portNumber() {
        return port;
    }

    @Override
    public long portGuid() {
        return portGuid;
    }

    @Override
    public int lid() {
        return lid;
    }

    @Override
    public int partitionKey() {
        return partition == null ? PartitionKeys.DEFAULT_BASE | PartitionKeys.FULL_MEMBER : partition.pkey();
    }

    @Override
    public int partitionKeyIndex() {
        return partition == null ? 0 : partition.index();
    }

    CiCa ca() {
        return ca;
    }

    /** The client's object tree, or null while no driver stack runs on the child. */
    IbalObjects objects() {
        Client c = client;
        return c == null ? null : c.tree.snapshot();
    }

    ObjectTree tree() {
        Client c = client;
        return c == null ? null : c.tree;
    }

    /** A CA event for the driver on this child (its pending GET_ASYNC_EVENT completes). */
    void raise(AsyncEvent event) {
        PendingEventQueue<AsyncEvent> e = events;
        if (e != null && client != null) {
            e.raise(event);
        }
    }

    // ---- PnP ----

    /** START of the child's stack: a new client, with an empty tree. */
    CompletionStage<Integer> start(DeviceObject pdo) {
        DeviceObject above = pdo.attachedDevice();
        String who = (above == null ? "(no driver)" : above.driver().name()) + " on " + pdo.name();
        events.reopen();
        client = new Client(new ObjectTree(who, ca.name()));
        return PnpHandler.SUCCESS;
    }

    /**
     * REMOVE of the child's stack, after every request of it drained (the framework failed the
     * pending ones in this device's queues): destroy what the client made, children first, and
     * complete the stage when the tree is empty.
     */
    CompletionStage<Integer> remove() {
        Client c = client;
        client = null;
        PendingEventQueue<AsyncEvent> e = events;
        if (e != null) {
            e.close(NtStatus.DELETE_PENDING);
        }
        if (c == null) {
            return PnpHandler.SUCCESS;
        }
        if (legacy == null) {
            return c.tree.destroyAll(request -> HcaRequests.call(io, ca.hca, request)).thenApply(failed -> NtStatus.SUCCESS);
        }
        // legacy mode: the tree is torn down from the destroy thread, each destroy issued from it
        return legacy.run(LegacyWorkers.Role.AL_OBJ, "object tree teardown", () -> c.tree.destroyAll(
                request -> legacy.call(LegacyWorkers.Role.AL_OBJ, io, ca.hca, request)), NOT_TORN_DOWN)
                .thenApply(failed -> {
                    if (failed == NOT_TORN_DOWN) {
                        // only if the PnP manager removed IBAL's device before this child, which it does not
                        String who = c.tree.toString();
                        io.queueWorkItem(() -> LOG.error("IBAL's destroy thread had stopped; not destroyed: {}", who));
                    }
                    return NtStatus.SUCCESS;
                });
    }

    /** QUERY_INTERFACE: the HCA's speed path itself, and this child's identity. */
    Object queryInterface(Class<?> type) {
        if (type == VerbsSpeedPath.class) {
            return ca.speedPath();
        }
        if (type == IbalChild.class) {
            return this;
        }
        return null;
    }

    // ---- requests ----

    /** INTERNAL_DEVICE_CONTROL: a verb from the driver above, forwarded to the HCA. */
    int dispatch(Irp irp) {
        IoStackLocation location = irp.currentLocation();
        int code = location.ioControlCode();
        if (!(location.argument() instanceof VerbsRequest<?> request)) {
            irp.complete(isVerb(code) ? NtStatus.INVALID_PARAMETER : NtStatus.INVALID_DEVICE_REQUEST);
            return irp.status();
        }
        if (request.ioctl() != code) {
            request.setError("the argument is a " + VerbsIoctl.name(request.ioctl()) + " request, the IOCTL "
                    + VerbsIoctl.name(code));
            irp.complete(NtStatus.INVALID_PARAMETER);
            return NtStatus.INVALID_PARAMETER;
        }
        Client c = client;
        if (c == null) {
            request.setError("no driver stack has started on " + device.name());
            irp.complete(NtStatus.DEVICE_NOT_READY);
            return NtStatus.DEVICE_NOT_READY;
        }
        if (request instanceof VerbsRequest.GetAsyncEvent) {
            return events.request(irp);
        }
        if (ca.state() != CiCa.State.BOUND) {
            request.setError(ca.name() + " is no longer served by IBAL (" + ca.state() + ")");
            irp.complete(NtStatus.DEVICE_REMOVED);
            return NtStatus.DEVICE_REMOVED;
        }
        ObjectTree.Admission admission = c.tree.admit(request);
        if (!admission.admitted()) {
            request.setError(admission.reason);
            irp.complete(admission.status);
            return admission.status;
        }
        int queued = forwarded.insert(irp);
        if (queued != NtStatus.PENDING) {
            // cancelled before it went anywhere: nothing reached the HCA
            c.tree.settle(request, admission, NtStatus.CANCELLED);
            return queued;
        }
        IrpCompletionListener done = completed -> {
            c.tree.settle(request, admission, completed.status());
            Irp outer = forwarded.remove(irp);
            if (outer != null) {
                outer.complete(completed.status(), completed.information());
            }
        };
        if (legacy == null) {
            HcaRequests.send(io, ca.hca, request, done);
        } else {
            legacy.send(LegacyWorkers.roleOf(request), io, ca.hca, request, done);
        }
        return NtStatus.PENDING;
    }

    /** A verbs IOCTL code (VerbsIoctl.name knows only those; anything else is CTL_CODE(...)). */
    private static boolean isVerb(int code) {
        return !VerbsIoctl.name(code).startsWith("CTL_CODE");
    }

    @Override
    public String toString() {
        DeviceObject d = device;
        return (d == null ? "?" : d.name()) + " " + IbalIds.PORT_HARDWARE_ID + "\\" + instanceId();
    }
}
