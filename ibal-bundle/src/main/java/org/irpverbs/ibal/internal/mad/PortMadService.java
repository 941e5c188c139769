package org.irpverbs.ibal.internal.mad;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.irpverbs.ibal.mad.Mad;
import org.irpverbs.ibal.mad.MadAddress;
import org.irpverbs.ibal.mad.MadAgent;
import org.irpverbs.ibal.mad.MadAgentSpec;
import org.irpverbs.ibal.mad.MadHandler;
import org.irpverbs.ibal.mad.MadHeader;
import org.irpverbs.ibal.mad.MadMethod;
import org.irpverbs.ibal.mad.MadSend;
import org.irpverbs.ibal.mad.MadService;
import org.irpverbs.ibal.mad.MadStatistics;
import org.irpverbs.ibal.mad.MadStatus;
import org.irpverbs.ibal.mad.MadTransaction;
import org.irpverbs.ibal.mad.ManagementClass;
import org.irpverbs.ibal.mad.ReceivedMad;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.AddressHandle;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.MemoryRegion;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendFlags;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.SpecialQpType;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsHandle;
import org.irpverbs.verbs.VerbsSpeedPath;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WorkCompletion;
import org.osgi.util.promise.Deferred;
import org.osgi.util.promise.Promise;
import org.osgi.util.promise.PromiseFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MAD service of one CA port: IBAL's QP0 and QP1 there, with posted receive buffers, the
 * agents registered on the port, and the requests waiting for their responses.
 * <pre>
 *  agent.send ─► TID (agent id | low 32) ─► outstanding[TID] ─► address handle ─► send slot ─► QP0 / QP1
 *                      response timer (MadTimers) ─► retry (same MAD) ... ─► IO_TIMEOUT
 *  CQ notification (a request the CQ completes) ─► poll ─┬─ send CQE: slot free, one-way MADs resolve
 *                                                        └─ receive: copy out, re-post, then
 *     response ─► outstanding[TID] of the same class ─► transaction resolves | unmatched: dropped, counted
 *     request  ─► AgentTable: the agent's handler | an SMP nobody serves: the HCA's SMA (LOCAL_MAD),
 *                 its answer sent back | else the IBA status reply (requests that expect one) or dropped
 * </pre>
 * Nothing waits: start and stop are promise chains of verbs, receives are driven by CQ
 * notification requests (claim 2 of docs/architecture.md §1), timeouts by the framework's timers,
 * and the service owns no thread (WinOF's AL needed its AL_MISC thread for local MADs).
 *
 * <p>The integration seam with IBAL core: one per CA port, made from that HCA's {@link Verbs} and
 * {@link VerbsSpeedPath}, {@link #start()} when the port becomes active and {@link #stop()} when it
 * goes down or the CA leaves. Thread-safe; every method may be called at DISPATCH.
 *
 * <p>Simplifications: responses to directed-route SMPs go back LID-routed to the requester's
 * source LID (one switch, docs/architecture.md §11: the SM's routing is not modelled); sends use
 * the default P_Key (index 0); a UD send or receive error (none is possible with the service's own
 * buffers) is counted, not recovered from.
 */
public final class PortMadService implements MadService {
    private static final Logger LOG = LoggerFactory.getLogger(PortMadService.class);

    /** Life of the service. */
    public enum State {
        NEW, STARTING, RUNNING, STOPPING, STOPPED, FAILED
    }

    /** Receive buffers posted on each of QP0 and QP1. */
    static final int RECEIVES_PER_QP = 32;
    /** MADs in flight on the wire at once (both QPs); more wait in the backlog. */
    static final int SEND_SLOTS = 32;
    /** A UD receive: the 40-byte GRH space, then the MAD. */
    static final int GRH_BYTES = 40;
    static final int RECEIVE_BYTES = GRH_BYTES + Mad.BYTES;
    /** The virtual address the service's memory is registered at. */
    static final long BASE_ADDRESS = 0x4D41_4400_0000L;
    private static final long RECEIVE_TAG = 1L << 40;
    private static final long SEND_TAG = 2L << 40;
    private static final long INDEX_MASK = (1L << 40) - 1;
    private static final int POLL_BATCH = 16;

    private final IoManager io;
    private final MadVerbs verbs;
    private final VerbsSpeedPath speed;
    private final int port;
    private final MadTimers timers;
    final PromiseFactory promises;
    final MadCounters counters = new MadCounters();
    private final AgentTable table = new AgentTable();
    private final ConcurrentSkipListMap<Integer, Agent> agents = new ConcurrentSkipListMap<>();
    /** Requests waiting for their response, by TID. */
    private final ConcurrentSkipListMap<Long, Transaction> outstanding = new ConcurrentSkipListMap<>();
    private final AtomicInteger nextAgentId = new AtomicInteger();
    private final AtomicLong nextSequence = new AtomicLong();
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final ByteBuffer memory = ByteBuffer.allocate(2 * RECEIVES_PER_QP * RECEIVE_BYTES + SEND_SLOTS * Mad.BYTES);
    private final ConcurrentLinkedQueue<Integer> freeSlots = new ConcurrentLinkedQueue<>();
    private final AtomicReferenceArray<Transaction> slotOwner = new AtomicReferenceArray<>(SEND_SLOTS);
    /** Transactions waiting for a send slot, with their address handle resolved. */
    private final ConcurrentLinkedQueue<Transaction> backlog = new ConcurrentLinkedQueue<>();
    /** Address handles by destination (LID, SL): being made, and made. */
    private final ConcurrentSkipListMap<Integer, Promise<AddressHandle>> addressHandles = new ConcurrentSkipListMap<>();
    private final ConcurrentSkipListMap<Integer, AddressHandle> madeAddressHandles = new ConcurrentSkipListMap<>();
    private volatile int lid;
    private volatile ProtectionDomain pd;
    private volatile MemoryRegion mr;
    private volatile CompletionQueue cq;
    private volatile QueuePair smi;
    private volatile QueuePair gsi;
    /** Resolved when start() has finished, successfully or not (what a stop while starting waits for). */
    private final Deferred<Void> startFinished;

    /**
     * @param io     the I/O manager whose DPCs run the promise callbacks
     * @param verbs  the HCA's control path
     * @param speed  the HCA's speed path
     * @param port   the CA port (1-based)
     * @param timers where response timers come from ({@link MadTimers#of(IoManager)} in production)
     */
    PortMadService(IoManager io, Verbs verbs, VerbsSpeedPath speed, int port, MadTimers timers) {
        this(io, MadVerbs.direct(verbs), speed, port, timers);
    }

    /** @param verbs the HCA's control path, sent the way IBAL's mode wants */
    PortMadService(IoManager io, MadVerbs verbs, VerbsSpeedPath speed, int port, MadTimers timers) {
        this.io = io;
        this.verbs = verbs;
        this.speed = speed;
        this.port = port;
        this.timers = timers;
        this.promises = new PromiseFactory(io::queueDpc);
        this.startFinished = promises.deferred();
        for (int i = 0; i < SEND_SLOTS; i++) {
            freeSlots.add(i);
        }
    }

    /** The service of {@code port} on the HCA behind {@code verbs}, on the I/O manager's timers. */
    public static PortMadService create(IoManager io, Verbs verbs, VerbsSpeedPath speed, int port) {
        return new PortMadService(io, verbs, speed, port, MadTimers.of(io));
    }

    /** The service of {@code port}, its verbs sent through {@code verbs} (IBAL's legacy mode: from its workers). */
    public static PortMadService create(IoManager io, MadVerbs verbs, VerbsSpeedPath speed, int port) {
        return new PortMadService(io, verbs, speed, port, MadTimers.of(io));
    }

    @Override
    public int port() {
        return port;
    }

    public State state() {
        return state.get();
    }

    /**
     * How many objects of an HCA resource (as HcaDevice statistics name them: PD, MR, CQ, AH) the
     * service holds now; its QP0 and QP1 take no QP number (they are reserved contexts). For
     * accounting IBAL's own objects apart from its clients'.
     */
    public int held(String resource) {
        return switch (resource) {
            case "PD" -> alive(pd);
            case "MR" -> alive(mr);
            case "CQ" -> alive(cq);
            case "AH" -> {
                int n = 0;
                for (AddressHandle ah : madeAddressHandles.values()) {
                    n += alive(ah);
                }
                yield n;
            }
            default -> 0;
        };
    }

    private static int alive(VerbsHandle h) {
        return h != null && !h.isDestroyed() ? 1 : 0;
    }

    /** The port's LID, learnt at start. */
    int lid() {
        return lid;
    }

    @Override
    public MadStatistics statistics() {
        return counters.snapshot();
    }

    // =====================================================================================
    // life cycle
    // =====================================================================================

    /**
     * Makes the port's QP0 and QP1 and brings them to RTS, posts the receive buffers and arms the
     * CQ notification. Resolves when the service runs; fails with the verb's status (and undoes
     * what it made) if one fails, or with INVALID_DEVICE_STATE if the service was started before.
     */
    public Promise<Void> start() {
        if (!state.compareAndSet(State.NEW, State.STARTING)) {
            return failed(NtStatus.INVALID_DEVICE_STATE, "the MAD service of port " + port + " is " + state.get()
                    + "; it starts once");
        }
        Promise<Void> chain = verbs.queryPort(port).flatMap(attributes -> {
            if (attributes.lid() == 0) {
                return failed(NtStatus.DEVICE_NOT_READY, "port " + port + " has no LID (" + attributes.state() + ")");
            }
            lid = attributes.lid();
            return verbs.allocPd().map(made -> {
                pd = made;
                return null;
            });
        }).flatMap(v -> verbs.regMr(pd, memory, BASE_ADDRESS, AccessFlags.LOCAL_WRITE)).flatMap(made -> {
            mr = made;
            return verbs.createCq(2 * RECEIVES_PER_QP + SEND_SLOTS + POLL_BATCH);
        }).flatMap(made -> {
            cq = made;
            return verbs.createSpecialQp(SpecialQpType.SMI, port, pd, cq, cq, SEND_SLOTS, RECEIVES_PER_QP, 1, true);
        }).flatMap(made -> {
            smi = made;
            return verbs.createSpecialQp(SpecialQpType.GSI, port, pd, cq, cq, SEND_SLOTS, RECEIVES_PER_QP, 1, true);
        }).flatMap(made -> {
            gsi = made;
            return toRts(smi, 0);
        }).flatMap(v -> toRts(gsi, SpecialQpType.GSI_QKEY)).flatMap(v -> {
            for (int i = 0; i < 2 * RECEIVES_PER_QP; i++) {
                int status = postReceive(i);
                if (status != NtStatus.SUCCESS) {
                    return failed(status, "posting MAD receive buffer " + i + " on port " + port + " failed");
                }
            }
            if (!state.compareAndSet(State.STARTING, State.RUNNING)) {
                return failed(NtStatus.CANCELLED, "the MAD service of port " + port + " was stopped while starting");
            }
            armNotification();
            return promises.resolved(null);
        });
        Promise<Void> started = chain.recoverWith(failed -> {
            Throwable why = failed.getFailure();
            // a stop while starting ends here too: the start then fails CANCELLED and undoes itself
            boolean stopping = state.getAndSet(State.FAILED) == State.STOPPING;
            if (!stopping && !goneWithTheHca(why)) {
                log("did not start: " + why.getMessage());
            }
            return release().recover(f -> null).flatMap(v -> {
                if (stopping) {
                    state.set(State.STOPPED);
                }
                return promises.failed(why);
            });
        });
        started.onResolve(() -> startFinished.resolve(null));
        return started;
    }

    private Promise<Void> toRts(QueuePair qp, int qkey) {
        QpAttributes init = new QpAttributes().toState(QpState.INIT).set(QpAttributes.PKEY_INDEX)
                .set(QpAttributes.PORT).set(QpAttributes.QKEY);
        init.port = port;
        init.qkey = qkey;
        return verbs.modifyQp(qp, init).flatMap(v -> verbs.modifyQp(qp, new QpAttributes().toState(QpState.RTR)))
                .flatMap(v -> verbs.modifyQp(qp, new QpAttributes().toState(QpState.RTS).set(QpAttributes.SQ_PSN)));
    }

    /**
     * Stops the service: every agent is unregistered (its transactions settle CANCELLED), what
     * waits for a slot is cancelled, and the QPs, address handles, memory, CQ and PD are
     * destroyed. Resolves when all of that is done (fails with the first destroy's status if one
     * failed, after trying the others). Idempotent while stopping or stopped.
     */
    public Promise<Void> stop() {
        if (state.compareAndSet(State.NEW, State.STOPPED)) {
            return promises.resolved(null); // never started: nothing to undo, and it never will start
        }
        State was = state.getAndUpdate(s -> s == State.RUNNING || s == State.STARTING ? State.STOPPING : s);
        if (was == State.STARTING) {
            // the start chain sees the stop at its end, fails CANCELLED and releases what it made
            return startFinished.getPromise();
        }
        if (was != State.RUNNING) {
            return promises.resolved(null);
        }
        List<Promise<Void>> fences = new ArrayList<>();
        for (Agent a : agents.values()) {
            fences.add(a.unregister());
        }
        cancelAll("the MAD service of port " + port + " stopped");
        return promises.all(fences).flatMap(v -> release()).map(v -> {
            stopped();
            return (Void) null;
        }).recoverWith(failed -> {
            stopped();
            return promises.failed(failed.getFailure());
        });
    }

    private void stopped() {
        state.set(State.STOPPED);
        // a send that raced with the stop and was queued after the first sweep
        cancelAll("the MAD service of port " + port + " stopped");
    }

    private void cancelAll(String why) {
        for (Transaction t : outstanding.values()) {
            t.fail(NtStatus.CANCELLED, why, counters.cancelled);
        }
        for (Transaction t = backlog.poll(); t != null; t = backlog.poll()) {
            t.fail(NtStatus.CANCELLED, why, counters.cancelled);
        }
        for (int i = 0; i < SEND_SLOTS; i++) {
            Transaction t = slotOwner.get(i);
            if (t != null && t.fail(NtStatus.CANCELLED, why)) {
                counters.cancelled.incrementAndGet();
            }
        }
    }

    /**
     * Destroys what start made, children first; resolves after trying all, failing with the first
     * failure. Address handles still being made are waited for first (by completion): one made
     * after the handles were collected would keep the PD alive. (Rare when verbs are sent at once;
     * common in IBAL's legacy mode, where the CREATE_AH waits its turn on AL_MISC while the destroys
     * go to AL_OBJ.)
     */
    private Promise<Void> release() {
        List<Promise<AddressHandle>> making = new ArrayList<>();
        for (Promise<AddressHandle> p : addressHandles.values()) {
            making.add(p.recover(failed -> null));
        }
        return promises.all(making).flatMap(made -> releaseMade());
    }

    private Promise<Void> releaseMade() {
        List<VerbsHandle> first = new ArrayList<>();
        addIfMade(first, gsi);
        addIfMade(first, smi);
        first.addAll(madeAddressHandles.values());
        List<VerbsHandle> second = new ArrayList<>();
        addIfMade(second, mr);
        addIfMade(second, cq);
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        return destroyAll(first, firstFailure).flatMap(v -> destroyAll(second, firstFailure))
                .flatMap(v -> destroyAll(pd == null ? List.of() : List.of(pd), firstFailure)).flatMap(v -> {
                    Throwable f = firstFailure.get();
                    return f == null ? promises.resolved(null) : promises.failed(f);
                });
    }

    private static void addIfMade(List<VerbsHandle> list, VerbsHandle handle) {
        if (handle != null) {
            list.add(handle);
        }
    }

    private Promise<Void> destroyAll(List<VerbsHandle> handles, AtomicReference<Throwable> firstFailure) {
        List<Promise<Void>> done = new ArrayList<>();
        for (VerbsHandle h : handles) {
            done.add(verbs.destroy(h).recover(failed -> {
                if (!goneWithTheHca(failed.getFailure())) {
                    firstFailure.compareAndSet(null, failed.getFailure());
                    log(failed.getFailure().getMessage());
                }
                return null;
            }));
        }
        return promises.all(done).map(v -> null);
    }

    /**
     * Whether a verb failed because the HCA is being removed or is gone: then its objects go with
     * it, which is no failure of the service's own.
     */
    private static boolean goneWithTheHca(Throwable failure) {
        int status = statusOf(failure);
        return status == NtStatus.DELETE_PENDING || status == NtStatus.DEVICE_REMOVED || status == NtStatus.NO_SUCH_DEVICE;
    }

    /** Logs at PASSIVE, on the system worker: a logger's stream lock must not be met at DISPATCH. */
    private void log(String what) {
        String line = "MAD service of port " + port + ": " + what;
        io.queueWorkItem(() -> LOG.warn(line));
    }

    private <T> Promise<T> failed(int status, String why) {
        return promises.failed(new IoStatusException(status, why));
    }

    // =====================================================================================
    // agents
    // =====================================================================================

    @Override
    public Promise<MadAgent> register(MadAgentSpec spec, MadHandler handler) {
        if (spec == null) {
            return failed(NtStatus.INVALID_PARAMETER, "an agent needs a MadAgentSpec");
        }
        if (!spec.methods().isEmpty() && handler == null) {
            return failed(NtStatus.INVALID_PARAMETER, spec.name() + ": an agent that serves methods needs a handler");
        }
        State s = state.get();
        if (s != State.RUNNING) {
            return failed(NtStatus.DEVICE_NOT_READY, "the MAD service of port " + port + " is " + s);
        }
        Agent agent = new Agent(this, nextAgentId.incrementAndGet(), spec, handler);
        String conflict = table.add(agent);
        if (conflict != null) {
            return failed(NtStatus.INVALID_DEVICE_STATE, spec.name() + ": " + conflict);
        }
        agents.put(agent.id(), agent);
        if (state.get() != State.RUNNING) {
            agent.unregister(); // raced with stop, which may have missed it
            return failed(NtStatus.DEVICE_NOT_READY, "the MAD service of port " + port + " stopped");
        }
        return promises.resolved(agent);
    }

    void unregistered(Agent agent) {
        table.remove(agent);
        agents.remove(agent.id(), agent);
    }

    void handlerFailed(Agent agent, RuntimeException e) {
        log("agent '" + agent.spec().name() + "': its handler threw " + e);
    }

    // =====================================================================================
    // sending
    // =====================================================================================

    /** {@link MadAgent#send}; {@code agent} null for the service's own replies. */
    MadTransaction send(Agent agent, MadSend send) {
        Mad mad = send.mad();
        MadHeader h = mad.header();
        boolean expectsResponse = !h.isResponse() && MadMethod.expectsResponse(h.method());
        if (expectsResponse && agent != null) {
            mad = mad.withHeader(h.withTransactionId(((long) agent.id() << 32) | (h.transactionId() & 0xFFFFFFFFL)));
        }
        Transaction t = new Transaction(this, agent, send, mad, expectsResponse, nextSequence.incrementAndGet());
        if (agent != null) {
            agent.inFlight.put(t.sequence, t);
            if (agent.isClosed()) {
                t.fail(NtStatus.CANCELLED, "agent '" + agent.spec().name() + "' is unregistered");
                return t;
            }
        }
        State s = state.get();
        if (s != State.RUNNING) {
            t.fail(NtStatus.DEVICE_NOT_READY, "the MAD service of port " + port + " is " + s);
            return t;
        }
        String bad = badSend(send, h);
        if (bad != null) {
            t.fail(NtStatus.INVALID_PARAMETER, bad);
            return t;
        }
        if (expectsResponse && outstanding.putIfAbsent(t.transactionId(), t) != null) {
            t.fail(NtStatus.INVALID_PARAMETER, String.format("transaction 0x%016X is already outstanding on port %d",
                    t.transactionId(), port));
            return t;
        }
        attempt(t);
        return t;
    }

    private static String badSend(MadSend send, MadHeader h) {
        boolean smp = ManagementClass.isSubnetManagement(h.mgmtClass());
        int qpn = send.destination().qpn();
        if (smp && qpn != SpecialQpType.SMI.qpn()) {
            return String.format("an SMP (class 0x%02X) goes to QP0, not QP%d", h.mgmtClass(), qpn);
        }
        if (!smp && qpn == SpecialQpType.SMI.qpn()) {
            return String.format("only SMPs go to QP0; class 0x%02X is not one", h.mgmtClass());
        }
        if (send.destination().pkeyIndex() != 0) {
            return "the MAD service sends with the default P_Key (index 0), not index " + send.destination().pkeyIndex();
        }
        return null;
    }

    /** One attempt: the response timer, then the MAD goes out (or to the HCA's own SMA). */
    private void attempt(Transaction t) {
        t.attempt++;
        if (t.expectsResponse) {
            t.armTimer(timers);
        }
        MadAddress to = t.send.destination();
        if (ManagementClass.isSubnetManagement(t.mad.header().mgmtClass()) && to.lid() == lid) {
            sendToLocalSma(t);
            return;
        }
        int key = (to.lid() << 4) | to.serviceLevel();
        AddressHandle made = madeAddressHandles.get(key);
        if (made != null) {
            queue(t, made);
            return;
        }
        addressHandle(key, to).onResolve(new AddressHandleMade(t, key));
    }

    /** A transaction's address handle was being made: now it goes out, or fails if none could be made. */
    private final class AddressHandleMade implements Runnable {
        private final Transaction t;
        private final int key;

        AddressHandleMade(Transaction t, int key) {
            this.t = t;
            this.key = key;
        }

        @Override
        public void run() {
            AddressHandle ah = madeAddressHandles.get(key);
            if (ah != null) {
                queue(t, ah);
            } else {
                t.fail(NtStatus.UNSUCCESSFUL, "no address handle for LID " + t.send.destination().lid() + " on port " + port);
            }
        }
    }

    /** The address handle for a destination: made once, shared by every send to it. */
    private Promise<AddressHandle> addressHandle(int key, MadAddress to) {
        Promise<AddressHandle> p = addressHandles.get(key);
        if (p != null) {
            return p;
        }
        Deferred<AddressHandle> d = promises.deferred();
        p = addressHandles.putIfAbsent(key, d.getPromise());
        if (p != null) {
            return p;
        }
        verbs.createAh(pd, port, to.lid(), to.serviceLevel()).onSuccess(ah -> {
            madeAddressHandles.put(key, ah);
            d.resolve(ah);
        }).onFailure(failure -> {
            addressHandles.remove(key, d.getPromise()); // the next send tries again
            d.fail(failure);
        });
        return d.getPromise();
    }

    private void queue(Transaction t, AddressHandle ah) {
        t.addressHandle = ah;
        backlog.add(t);
        drainBacklog();
    }

    /** Posts waiting transactions while there are free slots (lock-free; any thread may run it). */
    private void drainBacklog() {
        while (true) {
            Integer slot = freeSlots.poll();
            if (slot == null) {
                return;
            }
            Transaction t = backlog.poll();
            if (t == null) {
                freeSlots.add(slot);
                if (backlog.isEmpty()) {
                    return;
                }
                continue; // one was queued after the poll: it must not wait for the next free slot
            }
            if (t.isSettled() || state.get() != State.RUNNING) {
                freeSlots.add(slot);
                t.fail(NtStatus.CANCELLED, "the MAD service of port " + port + " stopped");
                continue;
            }
            post(slot, t);
        }
    }

    private void post(int slot, Transaction t) {
        int offset = sendOffset(slot);
        t.mad.encode(memory, offset);
        slotOwner.set(slot, t);
        MadAddress to = t.send.destination();
        SendWorkRequest wr = new SendWorkRequest();
        wr.wrId = SEND_TAG | slot;
        wr.flags = SendFlags.SIGNALED;
        wr.sgl.add(BASE_ADDRESS + offset, Mad.BYTES, mr.lkey());
        wr.addressHandle = t.addressHandle;
        wr.remoteQpn = to.qpn();
        wr.remoteQkey = to.qkey();
        QueuePair qp = ManagementClass.isSubnetManagement(t.mad.header().mgmtClass()) ? smi : gsi;
        // counted before it can arrive anywhere, so that a counter read after the peer saw it includes it
        counters.sent.incrementAndGet();
        int status = speed.postSend(qp, wr);
        if (status != NtStatus.SUCCESS) {
            counters.sent.decrementAndGet();
            slotOwner.compareAndSet(slot, t, null);
            freeSlots.add(slot);
            t.fail(status, "the HCA refused the MAD send on port " + port + " (" + NtStatus.name(status) + ")");
            return;
        }
    }

    /** An SMP to the port's own LID: the HCA's SMA answers through MAD_IFC, as if over the wire. */
    private void sendToLocalSma(Transaction t) {
        counters.localMads.incrementAndGet();
        counters.sent.incrementAndGet();
        verbs.localMad(port, t.mad.toBytes()).onSuccess(response -> {
            if (!t.expectsResponse) {
                t.resolve(null, null);
            }
            if (response != null) {
                receive(Mad.decode(response), MadAddress.smi(lid), true);
            }
        }).onFailure(failure -> t.fail(statusOf(failure), failure.getMessage()));
    }

    private static int statusOf(Throwable failure) {
        return failure instanceof IoStatusException e ? e.status() : NtStatus.UNSUCCESSFUL;
    }

    /** A response timer expired: the next attempt, or IO_TIMEOUT after the last. */
    void responseTimedOut(Transaction t, int attempt) {
        if (t.isSettled() || t.attempt != attempt) {
            return;
        }
        if (t.retriesLeft > 0 && state.get() == State.RUNNING) {
            t.retriesLeft--;
            counters.retries.incrementAndGet();
            attempt(t);
            return;
        }
        MadHeader h = t.mad.header();
        t.fail(NtStatus.IO_TIMEOUT, String.format("no response to class 0x%02X method 0x%02X TID 0x%016X from LID %d"
                + " after %d attempt(s)", h.mgmtClass(), h.method(), h.transactionId(), t.send.destination().lid(),
                t.send.retries() + 1), counters.timeouts);
    }

    /** A transaction settled: it no longer waits for a response, and its agent no longer has it in flight. */
    void forget(Transaction t) {
        if (t.expectsResponse) {
            outstanding.remove(t.transactionId(), t);
        }
        if (t.agent != null) {
            t.agent.inFlight.remove(t.sequence, t);
        }
    }

    // =====================================================================================
    // completions and receives
    // =====================================================================================

    private void armNotification() {
        verbs.notifyCq(cq, false).onSuccess(notified).onFailure(notificationFailed);
    }

    /*
     * The CQ notification's callbacks, and the other callbacks of the per-MAD paths, are classes
     * rather than lambdas: they first run on several completion threads at once, and a lambda's
     * first run links its call site, which two threads doing together wait for (docs/architecture.md §6).
     */
    private final org.osgi.util.function.Consumer<Void> notified = new Notified();
    private final org.osgi.util.function.Consumer<Throwable> notificationFailed = new NotificationFailed();

    private final class Notified implements org.osgi.util.function.Consumer<Void> {
        @Override
        public void accept(Void v) {
            drainCq();
            if (state.get() == State.RUNNING) {
                armNotification();
                drainCq(); // what completed between the last poll and the new notification request
            }
        }
    }

    private final class NotificationFailed implements org.osgi.util.function.Consumer<Throwable> {
        @Override
        public void accept(Throwable failure) {
            if (state.get() == State.RUNNING && !goneWithTheHca(failure)) {
                log("CQ notification failed, no more MADs are received: " + failure.getMessage());
            }
        }
    }

    private void drainCq() {
        WorkCompletion[] wcs = new WorkCompletion[POLL_BATCH];
        for (int i = 0; i < wcs.length; i++) {
            wcs[i] = new WorkCompletion();
        }
        while (true) {
            int n = speed.pollCq(cq, wcs, POLL_BATCH);
            if (n <= 0) {
                return;
            }
            for (int i = 0; i < n; i++) {
                completed(wcs[i]);
            }
        }
    }

    private void completed(WorkCompletion wc) {
        int index = (int) (wc.wrId & INDEX_MASK);
        if ((wc.wrId & SEND_TAG) != 0) {
            Transaction t = slotOwner.getAndSet(index, null);
            freeSlots.add(index);
            if (t != null) {
                if (wc.status != WcStatus.SUCCESS) {
                    t.fail(NtStatus.UNSUCCESSFUL, "the MAD send on port " + port + " completed with " + wc.status);
                } else if (!t.expectsResponse) {
                    t.resolve(null, null);
                }
            }
            drainBacklog();
            return;
        }
        boolean onSmi = index < RECEIVES_PER_QP;
        if (wc.status != WcStatus.SUCCESS) {
            if (wc.status != WcStatus.WR_FLUSH_ERR) {
                counters.droppedMalformed.incrementAndGet();
            }
            return; // an error takes a UD QP to ERR, where nothing more is received
        }
        Mad mad = null;
        if (wc.byteLength == RECEIVE_BYTES) {
            mad = Mad.decode(memory, receiveOffset(index) + GRH_BYTES, Mad.BYTES);
        }
        if (state.get() == State.RUNNING) {
            postReceive(index);
        }
        if (mad == null || wc.sourceLid < 1 || wc.sourceLid > 0xBFFF) {
            counters.droppedMalformed.incrementAndGet();
            return;
        }
        MadAddress source = new MadAddress(wc.sourceLid, wc.sourceQp, onSmi ? 0 : SpecialQpType.GSI_QKEY, 0, 0);
        receive(mad, source, onSmi);
    }

    /** A MAD that arrived on QP0 ({@code onSmi}) or QP1 from {@code source}. */
    private void receive(Mad mad, MadAddress source, boolean onSmi) {
        counters.received.incrementAndGet();
        MadHeader h = mad.header();
        if (ManagementClass.isSubnetManagement(h.mgmtClass()) != onSmi) {
            counters.droppedBad.incrementAndGet(); // SMPs travel on QP0 only, GMPs on QP1 only (IBA 13.5.1)
            return;
        }
        ReceivedMad received = new ReceivedMad(mad, source, port);
        if (h.isResponse()) {
            Transaction t = outstanding.get(h.transactionId());
            if (t == null || t.mad.header().mgmtClass() != h.mgmtClass()
                    || !t.resolve(received, counters.responsesMatched)) {
                counters.unmatchedResponses.incrementAndGet();
            }
            return;
        }
        int[] status = new int[1];
        Agent agent = table.lookup(h, status);
        if (agent != null) {
            if (agent.deliver(received, counters.delivered)) {
                return;
            }
            status[0] = MadStatus.UNSUPPORTED_METHOD; // unregistered meanwhile
        }
        if (onSmi && h.baseVersion() == MadHeader.BASE_VERSION && !table.servesClass(h.mgmtClass())) {
            answerFromLocalSma(mad, source);
            return;
        }
        if (!MadMethod.expectsResponse(h.method())) {
            counters.droppedBad.incrementAndGet(); // nobody to tell: IBA 13.5.3.2 lets the GSI discard it
            return;
        }
        int replyStatus = status[0] | (h.mgmtClass() == ManagementClass.SUBN_DIRECTED_ROUTE ? MadStatus.DIRECTION : 0);
        counters.errorResponses.incrementAndGet();
        send(null, MadSend.oneWay(mad.response(replyStatus, null), source));
    }

    /** An SMP no agent serves: the HCA's subnet management agent answers it (MAD_IFC), and the answer goes back. */
    private void answerFromLocalSma(Mad request, MadAddress source) {
        counters.localMads.incrementAndGet();
        verbs.localMad(port, request.toBytes()).onSuccess(response -> {
            if (response != null) {
                send(null, MadSend.oneWay(Mad.decode(response), source));
            } else {
                counters.droppedBad.incrementAndGet(); // the SMA consumed it without an answer
            }
        }).onFailure(failure -> {
            if (!goneWithTheHca(failure)) {
                log("LOCAL_MAD failed: " + failure.getMessage());
            }
        });
    }

    private int postReceive(int index) {
        ReceiveWorkRequest wr = new ReceiveWorkRequest();
        wr.wrId = RECEIVE_TAG | index;
        wr.sgl.add(BASE_ADDRESS + receiveOffset(index), RECEIVE_BYTES, mr.lkey());
        return speed.postReceive(index < RECEIVES_PER_QP ? smi : gsi, wr);
    }

    private static int receiveOffset(int index) {
        return index * RECEIVE_BYTES;
    }

    private static int sendOffset(int slot) {
        return 2 * RECEIVES_PER_QP * RECEIVE_BYTES + slot * Mad.BYTES;
    }
}
