package org.irpverbs.softhca.engine;

import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.irpverbs.irp.SpinLock;
import org.irpverbs.softhca.fabric.Frame;
import org.irpverbs.softhca.fabric.FrameQueue;

/**
 * The one thread that is an HCA's "hardware" (docs/architecture.md §7: no thread per client or per
 * request). It serves three lock-free multi-producer queues in turn — control work (command
 * executions, timer expiries, resets), packets from the fabric, and QPs whose doorbell rang —,
 * hands the packets it produced in that pass to the fabric as bursts, and parks when all are
 * empty. It runs at PASSIVE because it is hardware, not a DISPATCH context, but it never blocks on
 * anything except its own idle park: everything it calls (the fabric, event queue, timers) is
 * non-blocking.
 *
 * <p><b>Busy polling.</b> A consumer that polls one of the HCA's CQs and finds it empty may run
 * the data part of a pass itself ({@link #busyPoll}): packets and doorbells, never control work.
 * It stands for Linux's NAPI busy polling with {@code SO_PREFER_BUSY_POLL}: the application's poll
 * drives the device's receive processing in the application's context, and while it keeps
 * polling the device's interrupts stay masked; if it stops, a timeout ({@code gro_flush_timeout})
 * hands the work back. Here: while a consumer has busy-polled within the last
 * {@link EngineTuning#busyPollMicros()} µs, packets and doorbells do not wake this thread, and
 * this thread leaves them to the poller; its idle park then lasts only until that window ends, so
 * work a poller leaves behind waits at most one window. Arming a CQ ends the window
 * ({@link #endBusyPoll}): a consumer about to wait for an event does not poll again. So does the
 * poller's thread busy-polling another HCA, after one last pass here for what it posted: it has
 * moved on. On a machine
 * with fewer cores than busy threads this turns the requester's engine, which would compete with
 * the poller for a core, into work the poller does between polls (docs/BENCHMARKS-HCA.md (b)).
 *
 * <p>A pass runs control work before packets. So after a stall (this thread preempted, or a poller
 * holding the pass) a timer's expiry runs before packets that arrived in time; the RC requester's
 * ACK timer therefore decides only once the frames waiting at its expiry were taken
 * ({@link #framesTaken}).
 *
 * <p>Whoever runs a pass holds {@link #pass}: passes never overlap, so the engine state
 * (transport, per-pass hand-off buffers) stays single-threaded, and taking or releasing the lock
 * orders one pass's writes before the next pass's reads. A poller only tries the lock and returns
 * at once if the pass is taken: busy polling never waits.
 *
 * <p>Thread-safe: the submit methods and {@link #busyPoll} may be called from any thread at any
 * level.
 */
final class EngineThread {
    private static final int CONTROL_BATCH = 64;
    private static final int FRAME_BATCH = 256;
    private static final int QP_BATCH = 64;

    /** What the thread runs; implemented by the HCA. */
    interface Hardware {
        void onFrame(Frame frame);

        /** After a batch of frames: send coalesced acknowledgements. */
        void afterFrames();

        void serviceQp(QpContext qp);

        /**
         * At the end of each pass of the loop: hand the packets produced during the pass to the
         * fabric as bursts.
         */
        void flush();

        /** Logs an unexpected exception from a work item (a bug); the engine keeps running. */
        void bug(String what, RuntimeException e);
    }

    /**
     * The engine each consumer thread busy-polled last, weakly, so that a poller does not keep a
     * closed HCA alive; each engine hands out its one reference, so switching allocates nothing.
     */
    private static final ThreadLocal<WeakReference<EngineThread>> LAST_POLLED = new ThreadLocal<>();

    private final WeakReference<EngineThread> self = new WeakReference<>(this);
    private final Hardware hardware;
    private final Thread thread;
    private final long busyPollNanos;
    private final ConcurrentLinkedQueue<Runnable> control = new ConcurrentLinkedQueue<>();
    private final FrameQueue inbox = new FrameQueue();
    private final ConcurrentLinkedQueue<QpContext> doorbells = new ConcurrentLinkedQueue<>();
    /** Held by whoever runs a pass: this thread or a busy-polling consumer. */
    private final SpinLock pass = new SpinLock();
    /**
     * Passes busy-polling consumers ran. Written only under {@link #pass}, so an opaque
     * read-increment-write (a plain store on x86) counts each without an atomic instruction per
     * poll.
     */
    private final AtomicLong busyPollPasses = new AtomicLong();
    /** Windows a consumer ended early (it moved on, or waits for an event): read by tests. */
    private final AtomicLong busyPollHandBacks = new AtomicLong();
    /** Frames the passes have taken from the inbox so far; read and written by the pass holder only. */
    private long framesTaken;
    private volatile boolean sleeping;
    /** Set while this thread decides on, and then takes, a park without a deadline. */
    private volatile boolean deepSleep;
    /** {@link System#nanoTime()} until which a consumer busy-polls this HCA. */
    private volatile long busyPollUntil;
    private volatile boolean running = true;

    /** @param busyPollMicros the busy-poll window, 0 to ignore busy polls (never run passes for consumers) */
    EngineThread(String name, Hardware hardware, long busyPollMicros) {
        this.hardware = hardware;
        this.busyPollNanos = busyPollMicros * 1_000L;
        this.thread = new Thread(this::run, name);
        this.busyPollUntil = System.nanoTime();
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Stops the thread after its current item; queued work is dropped. */
    void stop() {
        running = false;
        LockSupport.unpark(thread);
    }

    /** Runs {@code work} on the engine thread, in order with other control work. */
    void submit(Runnable work) {
        control.add(work);
        if (sleeping) {
            LockSupport.unpark(thread);
        }
    }

    /** Hands a received packet to the engine; the engine owns it. */
    void receive(Frame frame) {
        inbox.offer(frame);
        wakeForData();
    }

    /** Hands a burst of received packets to the engine, in order, with one queue operation. */
    void receiveAll(Frame[] frames, int from, int to) {
        inbox.offerAll(frames, from, to);
        wakeForData();
    }

    int inboxSize() {
        return inbox.size();
    }

    /**
     * Frames taken from the inbox by all passes so far (the inbox is FIFO: with {@link #inboxSize}
     * this says when the frames waiting now have been processed). The pass holder only.
     */
    long framesTaken() {
        return framesTaken;
    }

    /** Whether control work (a command, a timer's expiry) waits for this thread; tests watch it for a timer having fired. */
    boolean controlQueued() {
        return !control.isEmpty();
    }

    /** The QP's doorbell rang: the engine will service it (once, however many times it rang meanwhile). */
    void ring(QpContext qp) {
        if (qp.scheduled.compareAndSet(false, true)) {
            doorbells.add(qp);
            wakeForData();
        }
    }

    /**
     * A consumer polled an empty CQ of this HCA: opens or extends the busy-poll window and, unless
     * another thread is running a pass, runs the data part of one here. Never waits.
     *
     * @return true if this call ran a pass (so the CQ may have new entries)
     */
    boolean busyPoll() {
        if (busyPollNanos == 0 || !running) {
            return false;
        }
        WeakReference<EngineThread> last = LAST_POLLED.get();
        EngineThread previous = null;
        if (last != self) {
            previous = last == null ? null : last.get();
            LAST_POLLED.set(self);
        }
        busyPollUntil = System.nanoTime() + busyPollNanos;
        if (deepSleep) {
            LockSupport.unpark(thread); // it parked without a deadline: it must learn of the window
        }
        if (previous != null) {
            // this thread moves on from another HCA (a ping-pong polls each side in turn). Its last
            // pass there runs after this window opened, so what it sends here is left to this poller
            previous.leaveBusyPoll();
        }
        return runDataPass();
    }

    /**
     * The consumer that busy-polled this HCA moved on to another: runs one last data pass for what
     * it posted here (unless a pass is running), then ends the window, so that nothing waits it out.
     */
    private void leaveBusyPoll() {
        if (running) {
            runDataPass();
        }
        endBusyPoll();
    }

    /** Runs a data pass on the calling (consumer's) thread unless another is running one; true if it ran. */
    private boolean runDataPass() {
        if (!pass.tryLock()) {
            return false;
        }
        try {
            busyPollPasses.setOpaque(busyPollPasses.getOpaque() + 1);
            dataPass();
            flush();
        } finally {
            pass.unlock();
        }
        return true;
    }

    /** A consumer is about to wait for a completion event: packets and doorbells wake this thread again. */
    void endBusyPoll() {
        if (busyPollNanos == 0) {
            return;
        }
        busyPollUntil = System.nanoTime() - 1;
        busyPollHandBacks.incrementAndGet();
        if (sleeping) {
            LockSupport.unpark(thread); // work the window left for the poller is this thread's now
        }
    }

    /** Engine passes busy-polling consumers have run so far. */
    long busyPollPasses() {
        return busyPollPasses.getOpaque();
    }

    /** Busy-poll windows ended by their consumer rather than by running out. */
    long busyPollHandBacks() {
        return busyPollHandBacks.get();
    }

    private boolean busyPolling() {
        return busyPollNanos != 0 && busyPollUntil - System.nanoTime() > 0;
    }

    private void wakeForData() {
        if (sleeping && !busyPolling()) {
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        while (running) {
            if (!pass.tryLock()) {
                // a poller runs a bounded data pass: wait for it only if there is work for this thread
                if (control.isEmpty() && busyPolling()) {
                    idle();
                } else {
                    Thread.onSpinWait();
                }
                continue;
            }
            boolean worked;
            try {
                worked = controlPass();
                if (!busyPolling()) {
                    worked |= dataPass();
                }
                flush();
            } finally {
                pass.unlock();
            }
            if (!worked) {
                idle();
            }
        }
        // hand over what the last pass produced, drop what is left so that frames go back to their pools;
        // the lock stays held, so no poller runs a pass on a stopped engine
        pass.lock(); // a poller's pass in progress is bounded
        flush();
        Frame f;
        while ((f = inbox.poll()) != null) {
            f.release();
        }
    }

    /** Parks until there is work for this thread; while a consumer busy-polls, only until its window ends. */
    private void idle() {
        sleeping = true;
        deepSleep = true;
        long window = busyPollUntil - System.nanoTime();
        if (busyPollNanos != 0 && window > 0) {
            deepSleep = false;
            if (control.isEmpty() && running) {
                LockSupport.parkNanos(this, window);
            }
        } else if (control.isEmpty() && inbox.isEmpty() && doorbells.isEmpty() && running) {
            LockSupport.park(this);
        }
        deepSleep = false;
        sleeping = false;
    }

    private boolean controlPass() {
        boolean worked = false;
        Runnable work;
        for (int n = 0; n < CONTROL_BATCH && (work = control.poll()) != null; n++) {
            worked = true;
            try {
                work.run();
            } catch (RuntimeException e) {
                hardware.bug("control work", e);
            }
        }
        return worked;
    }

    private boolean dataPass() {
        boolean worked = false;
        Frame frame;
        int frames = 0;
        while (frames < FRAME_BATCH && (frame = inbox.poll()) != null) {
            frames++;
            try {
                hardware.onFrame(frame);
            } catch (RuntimeException e) {
                hardware.bug("packet processing", e);
            }
        }
        framesTaken += frames;
        if (frames > 0 || inbox.size() > 0) {
            worked = true;
            try {
                hardware.afterFrames();
            } catch (RuntimeException e) {
                hardware.bug("acknowledgements", e);
            }
        }
        QpContext qp;
        for (int n = 0; n < QP_BATCH && (qp = doorbells.poll()) != null; n++) {
            worked = true;
            qp.scheduled.set(false);
            try {
                hardware.serviceQp(qp);
            } catch (RuntimeException e) {
                hardware.bug("send processing", e);
            }
        }
        return worked;
    }

    private void flush() {
        try {
            hardware.flush();
        } catch (RuntimeException e) {
            hardware.bug("packet hand-off", e);
        }
    }
}
