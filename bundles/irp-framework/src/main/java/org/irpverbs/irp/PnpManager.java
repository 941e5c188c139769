package org.irpverbs.irp;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.osgi.util.promise.Promise;

/**
 * The PnP manager: the device tree (one node per physical device), driver matching by hardware
 * ID and ranking, stack building (lower filters, function driver, upper filters, then START), bus
 * enumeration through QUERY_DEVICE_RELATIONS, and ordered removal (children first, QUERY_REMOVE,
 * REMOVE). All of it runs on one serial queue: each operation is a chain of request completions
 * on the completion pool, and the next operation starts when the previous one's stage completes,
 * so no thread ever waits for a PnP request.
 */
final class PnpManager {
    enum NodeState {
        UNMATCHED, STARTED, FAILED, DELETED
    }

    /** A physical device and the stack built on it ({@code DEVICE_NODE}). */
    static final class DevNode {
        final DeviceObject pdo;
        final DevNode parent;
        final List<DevNode> children = new ArrayList<>();
        final List<DriverEntry> stackDrivers = new ArrayList<>();
        NodeState state = NodeState.UNMATCHED;
        final List<String[]> enabledInterfaces = new ArrayList<>();
        List<DeviceObject> lastRelations = List.of();
        /** For a root node: the root-enumerated driver it was created for. */
        DriverEntry rootOwner;

        DevNode(DeviceObject pdo, DevNode parent) {
            this.pdo = pdo;
            this.parent = parent;
        }
    }

    /** A registered driver. */
    static final class DriverEntry {
        final Driver driver;
        final DriverObject object;
        final DriverRegistration registration;
        final long order;

        DriverEntry(Driver driver, DriverObject object, DriverRegistration registration, long order) {
            this.driver = driver;
            this.object = object;
            this.registration = registration;
            this.order = order;
        }

        boolean supports(DevNode node) {
            if (node.rootOwner != null) {
                // a root device is created for exactly one root-enumerated driver instance
                return node.rootOwner == this;
            }
            for (String id : node.pdo.hardwareIds()) {
                if (registration.hardwareIds().contains(id)) {
                    return true;
                }
            }
            return false;
        }
    }

    static String rootId(DriverObject driver) {
        return "ROOT\\" + driver.name();
    }

    private static final DriverObject ROOT_ENUMERATOR = DriverObject.builder("RootEnumerator").build();
    private static final Comparator<DriverEntry> BEST_FIRST =
            Comparator.<DriverEntry>comparingInt(e -> -e.registration.ranking()).thenComparingLong(e -> e.order);

    private final IoManagerImpl io;
    private final DeviceInterfaceListener listener;
    private final AtomicLong order = new AtomicLong();
    /** Touched only by operations on the serial queue. */
    private final List<DriverEntry> drivers = new ArrayList<>();
    private final Map<DeviceObject, DevNode> nodes = new IdentityHashMap<>();
    private final List<DevNode> roots = new ArrayList<>();
    private volatile Map<DeviceObject, List<DeviceObject>> relationsSnapshot = Map.of();

    private final SerialQueue serial;

    PnpManager(IoManagerImpl io, DeviceInterfaceListener listener) {
        this.io = io;
        this.listener = listener;
        this.serial = new SerialQueue(io, "PnP");
    }

    // ---- the serial queue ----

    private <T> Promise<T> enqueue(Supplier<CompletionStage<T>> operation) {
        LockFreePromise<T> done = io.promises().unresolved();
        serial.enqueue(operation).whenComplete((value, failure) -> {
            if (failure != null) {
                done.fail(failure);
            } else {
                done.resolve(value);
            }
        });
        return done;
    }

    Promise<Void> idle() {
        return enqueue(() -> CompletableFuture.completedFuture(null));
    }

    // ---- drivers ----

    void addDriver(Driver driver, DriverRegistration registration) {
        DriverObject object = driver.driverObject();
        enqueue(() -> {
            DriverEntry entry = new DriverEntry(driver, object, registration, order.incrementAndGet());
            drivers.add(entry);
            CompletionStage<Void> work = CompletableFuture.completedFuture(null);
            if (registration.root()) {
                DeviceObject rootPdo = io.createPhysicalDevice(ROOT_ENUMERATOR, rootId(object) + "#" + entry.order,
                        List.of(rootId(object)), null);
                DevNode node = new DevNode(rootPdo, null);
                node.rootOwner = entry;
                nodes.put(rootPdo, node);
                roots.add(node);
            }
            // unmatched nodes it supports; started nodes it would win now (taken over in order)
            for (DevNode node : allNodes()) {
                if (!entry.supports(node)) {
                    continue;
                }
                if (node.state == NodeState.UNMATCHED) {
                    work = work.thenCompose(v -> match(node));
                } else if (node.state == NodeState.STARTED && wouldReplace(node, entry)) {
                    work = work.thenCompose(v -> removeNode(node, false, false, true)).thenCompose(v -> match(node));
                }
            }
            return work;
        });
    }

    private boolean wouldReplace(DevNode node, DriverEntry entry) {
        if (entry.registration.role() != DriverRegistration.Role.FUNCTION) {
            return true; // a new filter joins at the next start, so the stack is rebuilt
        }
        DriverEntry current = node.stackDrivers.stream()
                .filter(e -> e.registration.role() == DriverRegistration.Role.FUNCTION).findFirst().orElse(null);
        return current != null && BEST_FIRST.compare(entry, current) < 0;
    }

    Promise<Void> removeDriver(Driver driver) {
        return enqueue(() -> {
            DriverEntry entry = drivers.stream().filter(e -> e.driver == driver).findFirst().orElse(null);
            if (entry == null) {
                return CompletableFuture.completedFuture(null);
            }
            drivers.remove(entry);
            CompletionStage<Void> work = CompletableFuture.completedFuture(null);
            // deepest nodes first, so a bus's children go before the bus
            List<DevNode> affected = allNodes();
            affected.sort(Comparator.comparingInt(PnpManager::depth).reversed());
            for (DevNode node : affected) {
                boolean ownsPdo = node.pdo.driver() == entry.object || node.rootOwner == entry;
                boolean inStack = node.stackDrivers.contains(entry);
                if (ownsPdo) {
                    work = work.thenCompose(v -> node.state == NodeState.DELETED ? done() : removeNode(node, true, false, false));
                } else if (inStack) {
                    work = work.thenCompose(v -> node.state == NodeState.DELETED ? done()
                            : removeNode(node, false, false, false).thenCompose(x -> match(node)));
                }
            }
            return work;
        });
    }

    // ---- building a stack ----

    /** Builds and starts the best stack for an unmatched node; leaves it unmatched if no driver fits. */
    private CompletionStage<Void> match(DevNode node) {
        if (node.state != NodeState.UNMATCHED) {
            return done();
        }
        List<DriverEntry> candidates = drivers.stream().filter(e -> e.supports(node)).sorted(BEST_FIRST).toList();
        DriverEntry function = candidates.stream()
                .filter(e -> e.registration.role() == DriverRegistration.Role.FUNCTION).findFirst().orElse(null);
        if (function == null) {
            return done();
        }
        List<DriverEntry> order = new ArrayList<>();
        candidates.stream().filter(e -> e.registration.role() == DriverRegistration.Role.LOWER_FILTER).forEach(order::add);
        order.add(function);
        candidates.stream().filter(e -> e.registration.role() == DriverRegistration.Role.UPPER_FILTER).forEach(order::add);
        node.stackDrivers.clear();
        for (DriverEntry entry : order) {
            DeviceObject added;
            try {
                added = entry.driver.addDevice(io, node.pdo);
            } catch (RuntimeException e) {
                DriverVerifier.report(entry.object.name() + ": addDevice threw " + e);
                added = null;
            }
            if (added != null) {
                node.stackDrivers.add(entry);
            } else if (entry == function) {
                // the function driver declined: undo the filters already attached
                return removeAttached(node).thenRun(() -> node.stackDrivers.clear());
            }
        }
        return sendPnp(node.pdo, PnpMinorFunction.START_DEVICE, null).thenCompose(status -> {
            if (!NtStatus.isSuccess(status)) {
                node.state = NodeState.FAILED;
                return sendPnp(node.pdo, PnpMinorFunction.REMOVE_DEVICE, null).thenRun(() -> {
                    node.stackDrivers.clear();
                });
            }
            node.state = NodeState.STARTED;
            enableInterfaces(node);
            return enumerate(node);
        });
    }

    private CompletionStage<Void> removeAttached(DevNode node) {
        if (node.pdo.attachedDevice() == null) {
            return done();
        }
        return sendPnp(node.pdo, PnpMinorFunction.REMOVE_DEVICE, null).thenApply(s -> null);
    }

    // ---- enumeration ----

    void invalidateDeviceRelations(DeviceObject busDevice) {
        enqueue(() -> {
            DevNode node = nodes.get(busDevice.physicalDevice());
            if (node == null || node.state != NodeState.STARTED) {
                return done();
            }
            return enumerate(node);
        });
    }

    private CompletionStage<Void> enumerate(DevNode node) {
        PnpDispatch.RelationsQuery query = new PnpDispatch.RelationsQuery();
        return sendPnp(node.pdo, PnpMinorFunction.QUERY_DEVICE_RELATIONS, query).thenCompose(status -> {
            List<DeviceObject> reported = query.children == null ? List.of() : query.children;
            node.lastRelations = reported;
            CompletionStage<Void> work = done();
            for (DevNode child : new ArrayList<>(node.children)) {
                if (!reported.contains(child.pdo)) {
                    child.pdo.reportedMissing = true;
                    work = work.thenCompose(v -> removeNode(child, true, true, false));
                }
            }
            for (DeviceObject pdo : reported) {
                if (pdo.kind() != DeviceObject.Kind.PHYSICAL || nodes.containsKey(pdo) || pdo.pnpState() == PnpState.DELETED) {
                    continue;
                }
                DevNode child = new DevNode(pdo, node);
                node.children.add(child);
                nodes.put(pdo, child);
                work = work.thenCompose(v -> match(child));
            }
            publishRelations();
            return work;
        });
    }

    // ---- removal ----

    /**
     * Removes a node's stack. Children go first (always deleted: their bus is going).
     *
     * @param deletePdo  the physical device goes too (its bus or its driver left)
     * @param surprise   the hardware is gone: SURPRISE_REMOVAL instead of QUERY_REMOVE
     * @param optional   a vetoed QUERY_REMOVE cancels the removal instead of forcing it
     */
    private CompletionStage<Void> removeNode(DevNode node, boolean deletePdo, boolean surprise, boolean optional) {
        CompletionStage<Void> work = done();
        for (DevNode child : new ArrayList<>(node.children)) {
            child.pdo.reportedMissing = true;
            work = work.thenCompose(v -> removeNode(child, true, surprise, false));
        }
        return work.thenCompose(v -> {
            if (deletePdo) {
                node.pdo.reportedMissing = true;
            }
            if (node.state != NodeState.STARTED && node.pdo.attachedDevice() == null) {
                if (!deletePdo || node.pdo.pnpState() == PnpState.DELETED) {
                    return finishRemoval(node, deletePdo);
                }
                // a physical device no driver runs still belongs to its bus driver: it gets its
                // REMOVE (queued requests fail, in-flight ones drain) before it is deleted
                CompletionStage<Integer> first = surprise
                        ? sendPnp(node.pdo, PnpMinorFunction.SURPRISE_REMOVAL, null)
                        : CompletableFuture.completedFuture(NtStatus.SUCCESS);
                return first.thenCompose(x -> sendPnp(node.pdo, PnpMinorFunction.REMOVE_DEVICE, null))
                        .thenCompose(x -> finishRemoval(node, true));
            }
            CompletionStage<Boolean> proceed;
            if (surprise) {
                disableInterfaces(node);
                proceed = sendPnp(node.pdo, PnpMinorFunction.SURPRISE_REMOVAL, null).thenApply(s -> true);
            } else {
                proceed = sendPnp(node.pdo, PnpMinorFunction.QUERY_REMOVE_DEVICE, null).thenCompose(status -> {
                    if (NtStatus.isSuccess(status)) {
                        disableInterfaces(node);
                        return CompletableFuture.completedFuture(true);
                    }
                    return sendPnp(node.pdo, PnpMinorFunction.CANCEL_REMOVE_DEVICE, null).thenCompose(s -> {
                        if (optional) {
                            return CompletableFuture.completedFuture(false);
                        }
                        // a driver that is leaving cannot be vetoed: its hardware is taken from it
                        disableInterfaces(node);
                        return sendPnp(node.pdo, PnpMinorFunction.SURPRISE_REMOVAL, null).thenApply(x -> true);
                    });
                });
            }
            return proceed.thenCompose(go -> {
                if (!go) {
                    return done();
                }
                return sendPnp(node.pdo, PnpMinorFunction.REMOVE_DEVICE, null)
                        .thenCompose(s -> finishRemoval(node, deletePdo))
                        .thenRun(() -> {
                            if (surprise && !deletePdo) {
                                node.state = NodeState.FAILED;
                            }
                        });
            });
        });
    }

    private CompletionStage<Void> finishRemoval(DevNode node, boolean deletePdo) {
        node.stackDrivers.clear();
        if (deletePdo) {
            if (node.pdo.pnpState() != PnpState.DELETED) {
                io.deleteDevice(node.pdo);
            }
            node.state = NodeState.DELETED;
            nodes.remove(node.pdo);
            if (node.parent != null) {
                node.parent.children.remove(node);
            } else {
                roots.remove(node);
            }
        } else {
            node.state = NodeState.UNMATCHED;
        }
        publishRelations();
        return done();
    }

    Promise<Void> surpriseRemove(DeviceObject device) {
        return enqueue(() -> {
            DevNode node = nodes.get(device.physicalDevice());
            if (node == null || node.state != NodeState.STARTED) {
                return done();
            }
            return removeNode(node, false, true, false);
        });
    }

    Promise<Void> restart(DeviceObject physicalDevice) {
        return enqueue(() -> {
            DevNode node = nodes.get(physicalDevice);
            if (node == null) {
                return done();
            }
            if (node.state == NodeState.FAILED) {
                node.state = NodeState.UNMATCHED;
            }
            return match(node);
        });
    }

    void deviceDeleted(DeviceObject device) {
        // nodes are dropped by finishRemoval; a device deleted by its own REMOVE needs nothing here
    }

    // ---- interfaces and views ----

    private void enableInterfaces(DevNode node) {
        if (listener == null) {
            return;
        }
        for (DeviceObject d = node.pdo; d != null; d = d.attachedDevice()) {
            for (String name : d.interfaces()) {
                DeviceObject device = d;
                node.enabledInterfaces.add(new String[] {name});
                io.queueWorkItem(() -> listener.interfaceEnabled(device, name));
            }
        }
    }

    private void disableInterfaces(DevNode node) {
        if (listener == null || node.enabledInterfaces.isEmpty()) {
            return;
        }
        node.enabledInterfaces.clear();
        for (DeviceObject d = node.pdo; d != null; d = d.attachedDevice()) {
            for (String name : d.interfaces()) {
                DeviceObject device = d;
                io.queueWorkItem(() -> listener.interfaceDisabled(device, name));
            }
        }
    }

    private void publishRelations() {
        Map<DeviceObject, List<DeviceObject>> snapshot = new LinkedHashMap<>();
        for (DevNode node : allNodes()) {
            if (!node.children.isEmpty()) {
                DeviceObject bus = node.pdo.attachedTop();
                snapshot.put(bus, node.children.stream().map(c -> c.pdo).toList());
            }
        }
        relationsSnapshot = snapshot;
    }

    Map<DeviceObject, List<DeviceObject>> busRelations() {
        return relationsSnapshot;
    }

    private List<DevNode> allNodes() {
        List<DevNode> all = new ArrayList<>();
        ArrayDeque<DevNode> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            DevNode n = todo.poll();
            all.add(n);
            todo.addAll(n.children);
        }
        return all;
    }

    private static int depth(DevNode node) {
        int d = 0;
        for (DevNode p = node.parent; p != null; p = p.parent) {
            d++;
        }
        return d;
    }

    private CompletionStage<Integer> sendPnp(DeviceObject anyInStack, PnpMinorFunction minor, Object argument) {
        DeviceObject top = anyInStack.attachedTop();
        CompletableFuture<Integer> result = new CompletableFuture<>();
        Irp irp = new Irp(top.stackSize());
        irp.nextLocation().setMajorFunction(MajorFunction.PNP).setMinorFunction(minor).setArgument(argument);
        irp.setCompletionListener(done -> result.complete(done.status()));
        io.send(top, irp);
        return result;
    }

    private static CompletionStage<Void> done() {
        return CompletableFuture.completedFuture(null);
    }
}
