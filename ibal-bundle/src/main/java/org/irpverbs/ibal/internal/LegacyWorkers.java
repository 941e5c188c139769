package org.irpverbs.ibal.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.irpverbs.ibal.internal.mad.MadVerbs;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.ExecutionLevel;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.IrpCompletionListener;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.Verbs;
import org.irpverbs.verbs.VerbsIoctl;
import org.irpverbs.verbs.VerbsRequest;
import org.osgi.util.promise.Deferred;
import org.osgi.util.promise.Promise;
import org.osgi.util.promise.PromiseFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IBAL's worker threads in {@link IbalMode#LEGACY}, as WinOF's IBAL had them:
 * <pre>
 *   ibal-al-obj    AL_OBJ   destruction: destroy verbs (a client's, a removed child's object tree
 *                           torn down children first, the MAD services' QPs)
 *   ibal-al-misc   AL_MISC  CA async events and the port re-query they cause, the MAD service's
 *                           verbs (LOCAL_MAD through MAD_IFC among them), and every other verb
 *                           a client forwards (WinOF's "passive threads for verb processing");
 *                           only REQ_NOTIFY_CQ, no command, is sent at once ({@link #roleOf})
 *   ibal-al-pnp    AL_PNP   binding a CA (QUERY_CA, QUERY_PORT) and IBAL's bus relation changes
 * </pre>
 * Each is a platform thread at PASSIVE with a lock-free queue: posting (from DISPATCH, where IBAL's
 * requests arrive and complete) is an add and an unpark, never a wait; the worker parks when its
 * queue is empty and may block in the HCA's legacy command path, which is legal at PASSIVE. Work a
 * worker posts to itself while it is at PASSIVE runs at once, as a WinOF thread calls a verb and
 * waits for it. The threads start on the system worker when IBAL's device starts and are stopped
 * (their queues drained, then joined on the system worker at PASSIVE) when it stops; work posted
 * after that is refused with DELETE_PENDING, so nothing waits forever.
 *
 * <p>Thread-safe. Not used at all in {@link IbalMode#QUEUED}.
 */
public final class LegacyWorkers {
    private static final Logger LOG = LoggerFactory.getLogger(LegacyWorkers.class);
    /** How long stopping waits for a worker to finish its queue before it is reported (it still ends later). */
    private static final long JOIN_SECONDS = 30;

    /** The three workers, named as WinOF's. */
    public enum Role {
        AL_OBJ("ibal-al-obj"),
        AL_MISC("ibal-al-misc"),
        AL_PNP("ibal-al-pnp");

        private final String threadName;

        Role(String threadName) {
            this.threadName = threadName;
        }

        public String threadName() {
            return threadName;
        }
    }

    /**
     * A test seam: told on the worker, just before it does a piece of work, which worker it is, the
     * thread and level it runs at, and what the work is (a verb's IOCTL name, or a description).
     */
    public interface Observer {
        void ran(Role role, Thread thread, ExecutionLevel level, String what);
    }

    /** One piece of a worker's work; refused (at whatever level the poster or the stop runs) if the worker has stopped. */
    interface Work {
        void run();

        void refuse(String why);
    }

    private final class Worker implements Runnable {
        final Role role;
        final ConcurrentLinkedQueue<Work> queue = new ConcurrentLinkedQueue<>();
        final AtomicLong done = new AtomicLong();
        volatile Thread thread;
        volatile boolean stopping;
        /** Set once the thread has ended (or never started and never will): the queue is refused from then on. */
        volatile boolean ended;

        Worker(Role role) {
            this.role = role;
        }

        void post(Work work) {
            if (stopping) {
                work.refuse("IBAL's " + role.threadName + " thread has stopped");
                return;
            }
            queue.add(work);
            Thread t = thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
            if (ended) {
                refuseQueued(); // the worker ended between the check and the add
            }
        }

        boolean isCurrentAtPassive() {
            return Thread.currentThread() == thread && !ExecutionLevel.atDispatch();
        }

        @Override
        public void run() {
            while (true) {
                Work work = queue.poll();
                if (work != null) {
                    try {
                        work.run();
                    } catch (RuntimeException e) {
                        LOG.error("IBAL's {} thread: work failed", role.threadName, e);
                    }
                    done.incrementAndGet();
                } else if (stopping) {
                    return;
                } else {
                    LockSupport.park(this);
                }
            }
        }

        void refuseQueued() {
            Work w;
            while ((w = queue.poll()) != null) {
                w.refuse("IBAL's " + role.threadName + " thread has stopped");
            }
        }
    }

    private final IoManager io;
    private final Worker[] workers = new Worker[Role.values().length];
    private final PromiseFactory promises;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile boolean started;
    private volatile boolean stopRequested;
    private volatile Observer observer;

    /** Workers for {@code io}; IbalCore makes one per IBAL in legacy mode (public for the MAD service's own tests). */
    public LegacyWorkers(IoManager io) {
        this.io = io;
        this.promises = new PromiseFactory(io::queueDpc);
        for (Role r : Role.values()) {
            workers[r.ordinal()] = new Worker(r);
        }
    }

    /** Installs the test seam (null removes it). */
    public void observe(Observer o) {
        this.observer = o;
    }

    /** The worker threads, once started (for tests: their names and whether they are alive). */
    public List<Thread> threads() {
        List<Thread> out = new ArrayList<>();
        for (Worker w : workers) {
            Thread t = w.thread;
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    /** How many pieces of work {@code role}'s worker has done. */
    public long workDone(Role role) {
        return workers[role.ordinal()].done.get();
    }

    /** Completes when the threads have ended (after {@link #stop}). */
    public CompletionStage<Void> whenStopped() {
        return stopped.copy();
    }

    // ---- life ----

    /** Starts the threads; on the system worker (PASSIVE), at IBAL's device START. Once. */
    public void start() {
        if (started || stopRequested) {
            return;
        }
        started = true;
        for (Worker w : workers) {
            Thread t = new Thread(w, w.role.threadName);
            t.setDaemon(true); // a worker never keeps the JVM alive, should IBAL be abandoned without stopping
            w.thread = t;
            t.start();
        }
    }

    /**
     * Stops the workers: each finishes what is queued and ends; they are joined on the system worker
     * (PASSIVE). Completes when they have ended; work posted from now on is refused. Idempotent.
     */
    public CompletionStage<Void> stop() {
        if (stopRequested) {
            return stopped;
        }
        stopRequested = true;
        for (Worker w : workers) {
            w.stopping = true;
            Thread t = w.thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
        io.queueWorkItem(this::join);
        return stopped;
    }

    /** On the system worker: waits for each thread to end, then refuses anything posted too late. */
    private void join() {
        // start() runs on the system worker too, so it has either run or never will (stopRequested)
        for (Worker w : workers) {
            Thread t = w.thread;
            if (t != null) {
                try {
                    t.join(TimeUnit.SECONDS.toMillis(JOIN_SECONDS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (t.isAlive()) {
                    LOG.error("IBAL's {} thread has not ended {} s after IBAL stopped: {}", w.role.threadName,
                            JOIN_SECONDS, describe(t));
                }
            }
            w.ended = true;
            w.refuseQueued();
        }
        stopped.complete(null);
    }

    private static String describe(Thread t) {
        StringBuilder b = new StringBuilder(t.getState().toString());
        for (StackTraceElement e : t.getStackTrace()) {
            b.append("\n\tat ").append(e);
        }
        return b.toString();
    }

    // ---- work ----

    void post(Role role, Work work) {
        workers[role.ordinal()].post(work);
    }

    private void observed(Role role, String what) {
        Observer o = observer;
        if (o != null) {
            o.ran(role, Thread.currentThread(), ExecutionLevel.current(), what);
        }
    }

    /**
     * The worker that issues a verb: destroys on AL_OBJ, the rest on AL_MISC; null for REQ_NOTIFY_CQ,
     * which is sent at once from the caller. It is no command (the HCA queues the request and rings
     * the CQ's doorbell, so nothing blocks even in legacy command mode), and the arm-then-poll order
     * a CQ's user relies on (armed when the call returns, then drain what came before) would break if
     * the arm were deferred to a thread: a completion between the drain and a late arm would never
     * be signalled. WinOF's rearm was a direct call too.
     */
    static Role roleOf(VerbsRequest<?> request) {
        if (request instanceof VerbsRequest.NotifyCq) {
            return null;
        }
        if (request instanceof VerbsRequest.Destroy
                || request instanceof VerbsRequest.Multicast m && !m.attach) {
            return Role.AL_OBJ;
        }
        return Role.AL_MISC;
    }

    /**
     * {@link HcaRequests#send} from {@code role}'s worker at PASSIVE (at once if {@code role} is null);
     * {@code done} runs when the HCA completes it, or with DELETE_PENDING if the worker has stopped.
     */
    void send(Role role, IoManager io, DeviceObject hca, VerbsRequest<?> request, IrpCompletionListener done) {
        if (role == null) {
            HcaRequests.send(io, hca, request, done); // REQ_NOTIFY_CQ: see roleOf
            return;
        }
        Worker w = workers[role.ordinal()];
        if (w.isCurrentAtPassive()) {
            observed(role, VerbsIoctl.name(request.ioctl()));
            HcaRequests.send(io, hca, request, done);
            return;
        }
        w.post(new Work() {
            @Override
            public void run() {
                observed(role, VerbsIoctl.name(request.ioctl()));
                HcaRequests.send(io, hca, request, done);
            }

            @Override
            public void refuse(String why) {
                HcaRequests.refuse(hca, request, NtStatus.DELETE_PENDING, why, done);
            }
        });
    }

    /** {@link #send} as a stage completed with the request's status. */
    CompletableFuture<Integer> call(Role role, IoManager io, DeviceObject hca, VerbsRequest<?> request) {
        CompletableFuture<Integer> status = new CompletableFuture<>();
        send(role, io, hca, request, irp -> status.complete(irp.status()));
        return status;
    }

    /**
     * Runs {@code operation} on {@code role}'s worker at PASSIVE; the stage completes with the
     * operation's stage, or with {@code whenRefused} if the worker has stopped.
     */
    <T> CompletionStage<T> run(Role role, String what, Supplier<? extends CompletionStage<T>> operation, T whenRefused) {
        CompletableFuture<T> result = new CompletableFuture<>();
        workers[role.ordinal()].post(new Work() {
            @Override
            public void run() {
                observed(role, what);
                CompletionStage<T> stage;
                try {
                    stage = operation.get();
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                    return;
                }
                stage.whenComplete((value, failure) -> {
                    if (failure != null) {
                        result.completeExceptionally(failure);
                    } else {
                        result.complete(value);
                    }
                });
            }

            @Override
            public void refuse(String why) {
                result.complete(whenRefused);
            }
        });
        return result;
    }

    /** Runs {@code action} on {@code role}'s worker; dropped if the worker has stopped (IBAL is gone). */
    void run(Role role, String what, Runnable action) {
        workers[role.ordinal()].post(new Work() {
            @Override
            public void run() {
                observed(role, what);
                action.run();
            }

            @Override
            public void refuse(String why) {
                // nothing to tell: the work was IBAL's own and IBAL has stopped
            }
        });
    }

    /** Where the MAD services send their verbs in legacy mode: destroys on AL_OBJ, the rest (LOCAL_MAD too) on AL_MISC. */
    public MadVerbs.Issuer madIssuer() {
        return new MadVerbs.Issuer() {
            @Override
            public <R> Promise<R> call(Verbs verbs, VerbsRequest<R> request) {
                Role role = roleOf(request);
                if (role == null) {
                    return verbs.call(request); // REQ_NOTIFY_CQ: see roleOf
                }
                Worker w = workers[role.ordinal()];
                if (w.isCurrentAtPassive()) {
                    observed(role, VerbsIoctl.name(request.ioctl()));
                    return verbs.call(request);
                }
                Deferred<R> deferred = promises.deferred();
                w.post(new Work() {
                    @Override
                    public void run() {
                        observed(role, VerbsIoctl.name(request.ioctl()));
                        deferred.resolveWith(verbs.call(request));
                    }

                    @Override
                    public void refuse(String why) {
                        request.setError(why);
                        deferred.fail(new IoStatusException(NtStatus.DELETE_PENDING, why));
                    }
                });
                return deferred.getPromise();
            }
        };
    }
}
