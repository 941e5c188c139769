package org.irpverbs.ibal.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.irpverbs.ibal.IbalObjects;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.SpinLock;
import org.irpverbs.verbs.AddressHandle;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.MemoryRegion;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.VerbsHandle;
import org.irpverbs.verbs.VerbsRequest;

/**
 * One client's objects on one CA, as WinOF's AL object tree: client → CA → PD → {QP → multicast
 * attachments, MR, AH}, CQs under the CA; a QP also refers to its CQs. Each object counts the
 * objects below it or referring to it ({@code references}): a destroy of an object whose count is
 * not zero is refused with DEVICE_BUSY and a reason naming what is left, and a create takes its
 * references before the request goes to the HCA, so a racing destroy of the parent is refused
 * rather than orphaning the child. When the client goes, {@link #destroyAll} destroys everything
 * children first, each destroy sent from the previous one's completion: no destroy thread and no
 * destroy callback list (docs/architecture.md section 12).
 *
 * <p>Thread-safe: a {@link SpinLock} guards the nodes for a few instructions at a time; nothing
 * is called under it. Never blocks.
 */
final class ObjectTree {
    enum Type {
        PD, CQ, QP, MR, AH, MCAST
    }

    /** One object. Guarded by the tree's lock. */
    static final class Node {
        final Type type;
        final Object key;
        final int number;
        final Node parent;
        final Node[] refersTo;
        final List<Node> children = new ArrayList<>();
        int references;
        boolean destroying;

        Node(Type type, Object key, int number, Node parent, Node[] refersTo) {
            this.type = type;
            this.key = key;
            this.number = number;
            this.parent = parent;
            this.refersTo = refersTo;
        }

        String describe() {
            return type + " " + number;
        }
    }

    /** A multicast attachment's identity: the QP, the group and its MLID. */
    record McastKey(QueuePair qp, List<Byte> gid, int mlid) {
        static McastKey of(VerbsRequest.Multicast m) {
            List<Byte> gid = new ArrayList<>(m.gid.length);
            for (byte b : m.gid) {
                gid.add(b);
            }
            return new McastKey(m.qp, gid, m.mlid);
        }
    }

    /**
     * What {@link #admit} let through: the nodes whose references it took (released again if the
     * request fails) and the node it marked for destruction. {@link #REFUSED} carries nothing.
     */
    static final class Admission {
        final int status;
        final String reason;
        final Node[] reserved;
        final Node target;
        final boolean changesTree;

        Admission(int status, String reason, Node[] reserved, Node target, boolean changesTree) {
            this.status = status;
            this.reason = reason;
            this.reserved = reserved;
            this.target = target;
            this.changesTree = changesTree;
        }

        boolean admitted() {
            return status == NtStatus.SUCCESS;
        }
    }

    private static final Node[] NONE = new Node[0];
    private static final Admission PASS = new Admission(NtStatus.SUCCESS, null, NONE, null, false);

    private final String client;
    private final String ca;
    private final SpinLock lock = new SpinLock();
    private final Map<Object, Node> nodes = new IdentityHashMap<>();
    private final Map<McastKey, Node> attachments = new HashMap<>();
    private final List<Node> roots = new ArrayList<>();
    /** Requests that change the tree and have not completed: the tree is destroyed only when none is left. */
    private int changesInFlight;
    private boolean closed;
    private CompletableFuture<Void> quiet;

    ObjectTree(String client, String ca) {
        this.client = client;
        this.ca = ca;
    }

    String client() {
        return client;
    }

    // ---- admission of a client's request ----

    /**
     * Checks a request against the tree before it goes to the HCA: the handles it names must be
     * this client's and alive; a create takes references on its parents, a destroy marks its
     * object. Every admission with {@link Admission#admitted()} must be {@link #settle settled}.
     */
    Admission admit(VerbsRequest<?> request) {
        lock.lock();
        try {
            if (closed) {
                return refuse(NtStatus.DELETE_PENDING, client + " is closing: its objects are being destroyed");
            }
            Admission a = check(request);
            if (a.admitted() && a.changesTree) {
                changesInFlight++;
            }
            return a;
        } finally {
            lock.unlock();
        }
    }

    private Admission check(VerbsRequest<?> request) {
        if (request instanceof VerbsRequest.AllocPd || request instanceof VerbsRequest.CreateCq) {
            return new Admission(NtStatus.SUCCESS, null, NONE, null, true);
        }
        if (request instanceof VerbsRequest.RegMr r) {
            return reserve(live(r.pd, "PD"));
        }
        if (request instanceof VerbsRequest.CreateAh r) {
            return reserve(live(r.pd, "PD"));
        }
        if (request instanceof VerbsRequest.CreateQp r) {
            return reserve(live(r.pd, "PD"), live(r.sendCq, "send CQ"), live(r.recvCq, "receive CQ"));
        }
        if (request instanceof VerbsRequest.ResizeCq r) {
            return use(live(r.cq, "CQ"));
        }
        if (request instanceof VerbsRequest.NotifyCq r) {
            return use(live(r.cq, "CQ"));
        }
        if (request instanceof VerbsRequest.ModifyQp r) {
            return use(live(r.qp, "QP"));
        }
        if (request instanceof VerbsRequest.QueryQp r) {
            return use(live(r.qp, "QP"));
        }
        if (request instanceof VerbsRequest.Multicast m) {
            if (m.attach) {
                Object qp = live(m.qp, "QP");
                if (qp instanceof Node && attachments.containsKey(McastKey.of(m))) {
                    return refuse(NtStatus.INVALID_PARAMETER, "QP " + m.qp.number() + " is already attached to MLID 0x"
                            + Integer.toHexString(m.mlid));
                }
                return reserve(qp);
            }
            Node attachment = attachments.get(McastKey.of(m));
            if (attachment == null) {
                return refuse(NtStatus.INVALID_PARAMETER, "QP " + (m.qp == null ? "?" : m.qp.number())
                        + " is not attached to MLID 0x" + Integer.toHexString(m.mlid) + " by " + client);
            }
            return markForDestroy(attachment);
        }
        if (request instanceof VerbsRequest.Destroy d) {
            Object node = live(d.object, kind(d.object));
            if (!(node instanceof Node n)) {
                return (Admission) node;
            }
            return markForDestroy(n);
        }
        return PASS; // QUERY_CA, QUERY_PORT: nothing of the client's is named
    }

    private Admission markForDestroy(Node n) {
        if (n.references > 0) {
            return refuse(NtStatus.DEVICE_BUSY, n.describe() + " still has " + n.references + " object(s) below or on it: "
                    + dependents(n) + "; destroy them first");
        }
        n.destroying = true;
        return new Admission(NtStatus.SUCCESS, null, NONE, n, true);
    }

    /** A handle's node if it is this client's and not being destroyed, else the refusal. */
    private Object live(VerbsHandle handle, String what) {
        if (handle == null) {
            return refuse(NtStatus.INVALID_PARAMETER, what + " is missing");
        }
        Node n = nodes.get(handle);
        if (n == null) {
            return refuse(NtStatus.INVALID_HANDLE, what + " " + handle.number() + " was not created by " + client
                    + " on " + ca);
        }
        if (n.destroying) {
            return refuse(NtStatus.INVALID_DEVICE_STATE, n.describe() + " is being destroyed");
        }
        return n;
    }

    private Admission reserve(Object... found) {
        Node[] reserved = new Node[found.length];
        for (int i = 0; i < found.length; i++) {
            if (!(found[i] instanceof Node n)) {
                return (Admission) found[i];
            }
            reserved[i] = n;
        }
        for (Node n : reserved) {
            n.references++;
        }
        return new Admission(NtStatus.SUCCESS, null, reserved, null, true);
    }

    private static Admission use(Object found) {
        return found instanceof Node ? PASS : (Admission) found;
    }

    private static Admission refuse(int status, String reason) {
        return new Admission(status, reason, NONE, null, false);
    }

    private static String kind(VerbsHandle h) {
        if (h instanceof ProtectionDomain) {
            return "PD";
        }
        if (h instanceof CompletionQueue) {
            return "CQ";
        }
        if (h instanceof QueuePair) {
            return "QP";
        }
        if (h instanceof MemoryRegion) {
            return "MR";
        }
        if (h instanceof AddressHandle) {
            return "AH";
        }
        return "object";
    }

    private String dependents(Node n) {
        List<String> names = new ArrayList<>();
        for (Node c : n.children) {
            names.add(c.describe());
        }
        for (Node other : nodes.values()) {
            for (Node r : other.refersTo) {
                if (r == n) {
                    names.add(other.describe());
                }
            }
        }
        return String.join(", ", names);
    }

    // ---- the HCA's answer ----

    /** Records what an admitted request did, once the HCA completed it with {@code status}. */
    void settle(VerbsRequest<?> request, Admission a, int status) {
        if (!a.changesTree) {
            return;
        }
        CompletableFuture<Void> nowQuiet = null;
        lock.lock();
        try {
            if (NtStatus.isSuccess(status)) {
                applied(request, a);
            } else if (a.target != null) {
                a.target.destroying = false;
            } else {
                for (Node n : a.reserved) {
                    n.references--;
                }
            }
            changesInFlight--;
            if (closed && changesInFlight == 0) {
                nowQuiet = quiet;
            }
        } finally {
            lock.unlock();
        }
        if (nowQuiet != null) {
            nowQuiet.complete(null);
        }
    }

    private void applied(VerbsRequest<?> request, Admission a) {
        if (a.target != null) {
            unlink(a.target);
            return;
        }
        Node[] r = a.reserved;
        if (request instanceof VerbsRequest.AllocPd pd) {
            link(new Node(Type.PD, pd.result(), pd.result().number(), null, NONE));
        } else if (request instanceof VerbsRequest.CreateCq cq) {
            link(new Node(Type.CQ, cq.result(), cq.result().number(), null, NONE));
        } else if (request instanceof VerbsRequest.RegMr mr) {
            link(new Node(Type.MR, mr.result(), mr.result().number(), r[0], NONE));
        } else if (request instanceof VerbsRequest.CreateAh ah) {
            link(new Node(Type.AH, ah.result(), ah.result().number(), r[0], NONE));
        } else if (request instanceof VerbsRequest.CreateQp qp) {
            link(new Node(Type.QP, qp.result(), qp.result().number(), r[0], new Node[] {r[1], r[2]}));
        } else if (request instanceof VerbsRequest.Multicast m) {
            McastKey key = McastKey.of(m);
            Node n = new Node(Type.MCAST, key, m.mlid, r[0], NONE);
            attachments.put(key, n);
            r[0].children.add(n);
        }
    }

    private void link(Node n) {
        nodes.put(n.key, n);
        if (n.parent == null) {
            roots.add(n);
        } else {
            n.parent.children.add(n);
        }
    }

    private void unlink(Node n) {
        if (n.type == Type.MCAST) {
            attachments.remove(n.key);
        } else {
            nodes.remove(n.key);
        }
        if (n.parent == null) {
            roots.remove(n);
        } else {
            n.parent.children.remove(n);
            n.parent.references--;
        }
        for (Node r : n.refersTo) {
            r.references--;
        }
    }

    // ---- the client goes ----

    /**
     * Refuses every new request, waits (by completion) for the tree-changing requests in flight,
     * then destroys every object children first through {@code destroy}, which sends one destroy
     * request and completes with its status. A destroy that fails (the HCA is gone: DELETE_PENDING,
     * DEVICE_REMOVED) still drops the object: the HCA's own removal released it.
     *
     * @return completes when the tree is empty; with the number of destroys that failed
     */
    CompletionStage<Integer> destroyAll(Function<VerbsRequest<Void>, CompletionStage<Integer>> destroy) {
        CompletableFuture<Void> waitFor;
        lock.lock();
        try {
            if (quiet == null) {
                quiet = new CompletableFuture<>();
            }
            closed = true;
            if (changesInFlight == 0) {
                quiet.complete(null);
            }
            waitFor = quiet;
        } finally {
            lock.unlock();
        }
        CompletableFuture<Integer> done = new CompletableFuture<>();
        waitFor.thenRun(() -> destroyNext(destroy, 0, done));
        return done;
    }

    private void destroyNext(Function<VerbsRequest<Void>, CompletionStage<Integer>> destroy, int failures,
            CompletableFuture<Integer> done) {
        // iterative over synchronously completed destroys, so a long tree never grows the stack
        int failed = failures;
        while (true) {
            Node leaf;
            lock.lock();
            try {
                leaf = leaf(roots);
            } finally {
                lock.unlock();
            }
            if (leaf == null) {
                done.complete(failed);
                return;
            }
            CompletableFuture<Integer> sent = destroy.apply(destroyRequest(leaf)).toCompletableFuture();
            if (!sent.isDone()) {
                int soFar = failed;
                sent.whenComplete((status, failure) -> {
                    boolean ok = failure == null && NtStatus.isSuccess(status);
                    dropped(leaf);
                    destroyNext(destroy, soFar + (ok ? 0 : 1), done);
                });
                return;
            }
            boolean ok = !sent.isCompletedExceptionally() && NtStatus.isSuccess(sent.join());
            failed += ok ? 0 : 1;
            dropped(leaf);
        }
    }

    private void dropped(Node leaf) {
        lock.lock();
        try {
            unlink(leaf);
        } finally {
            lock.unlock();
        }
    }

    /** The first object nothing hangs on or refers to, depth first: a child before its parent. */
    private static Node leaf(List<Node> level) {
        for (Node n : level) {
            if (n.references == 0) {
                return n;
            }
            Node below = leaf(n.children);
            if (below != null) {
                return below;
            }
        }
        return null;
    }

    private static VerbsRequest<Void> destroyRequest(Node n) {
        if (n.type == Type.MCAST) {
            McastKey key = (McastKey) n.key;
            byte[] gid = new byte[key.gid().size()];
            for (int i = 0; i < gid.length; i++) {
                gid[i] = key.gid().get(i);
            }
            return new VerbsRequest.Multicast(key.qp(), gid, key.mlid(), false);
        }
        return new VerbsRequest.Destroy((VerbsHandle) n.key);
    }

    // ---- views ----

    int size() {
        lock.lock();
        try {
            return nodes.size() + attachments.size();
        } finally {
            lock.unlock();
        }
    }

    IbalObjects snapshot() {
        lock.lock();
        try {
            return new IbalObjects(client, ca, view(roots));
        } finally {
            lock.unlock();
        }
    }

    private static List<IbalObjects.Node> view(List<Node> level) {
        List<IbalObjects.Node> out = new ArrayList<>(level.size());
        for (Node n : level) {
            out.add(new IbalObjects.Node(n.type.name(), n.number, n.references, view(n.children)));
        }
        return out;
    }

    @Override
    public String toString() {
        return client + " on " + ca + ": " + size() + " object(s)" + (closed ? " (closing)" : "");
    }
}
