package org.irpverbs.softhca.engine;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import org.irpverbs.softhca.fabric.Frame;
import org.irpverbs.softhca.fabric.FrameQueue;

/**
 * The one thread that is an HCA's "hardware" (design.md section 4: no thread per client or per
 * request). It serves three lock-free multi-producer queues in turn — control work (command
 * executions, timer expiries, resets), packets from the fabric, and QPs whose doorbell rang —,
 * hands the packets it produced in that pass to the fabric as bursts, and parks when all are empty. It runs at PASSIVE because it is hardware, not a DISPATCH context,
 * but it never blocks on anything except its own idle park: everything it calls (the fabric,
 * event queue, timers) is non-blocking.
 *
 * <p>Thread-safe: the submit methods may be called from any thread at any level.
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

    private final Hardware hardware;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> control = new ConcurrentLinkedQueue<>();
    private final FrameQueue inbox = new FrameQueue();
    private final ConcurrentLinkedQueue<QpContext> doorbells = new ConcurrentLinkedQueue<>();
    private volatile boolean sleeping;
    private volatile boolean running = true;

    EngineThread(String name, Hardware hardware) {
        this.hardware = hardware;
        this.thread = new Thread(this::run, name);
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

    boolean isEngineThread() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code work} on the engine thread, in order with other control work. */
    void submit(Runnable work) {
        control.add(work);
        wake();
    }

    /** Hands a received packet to the engine; the engine owns it. */
    void receive(Frame frame) {
        inbox.offer(frame);
        wake();
    }

    /** Hands a burst of received packets to the engine, in order, with one queue operation. */
    void receiveAll(Frame[] frames, int from, int to) {
        inbox.offerAll(frames, from, to);
        wake();
    }

    int inboxSize() {
        return inbox.size();
    }

    /** The QP's doorbell rang: the engine will service it (once, however many times it rang meanwhile). */
    void ring(QpContext qp) {
        if (qp.scheduled.compareAndSet(false, true)) {
            doorbells.add(qp);
            wake();
        }
    }

    private void wake() {
        if (sleeping) {
            LockSupport.unpark(thread);
        }
    }

    private boolean idle() {
        return control.isEmpty() && inbox.isEmpty() && doorbells.isEmpty();
    }

    private void run() {
        while (running) {
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
            try {
                hardware.flush();
            } catch (RuntimeException e) {
                hardware.bug("packet hand-off", e);
            }
            if (!worked) {
                sleeping = true;
                if (idle() && running) {
                    LockSupport.park(this);
                }
                sleeping = false;
            }
        }
        // hand over what the last pass produced, drop what is left so that frames go back to their pools
        try {
            hardware.flush();
        } catch (RuntimeException e) {
            hardware.bug("packet hand-off", e);
        }
        Frame f;
        while ((f = inbox.poll()) != null) {
            f.release();
        }
    }
}
