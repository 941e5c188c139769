package org.irpverbs.softhca.engine;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.irpverbs.irp.IoManager;

/**
 * The HCA's event queue (EQ) as the driver's interrupt handler drains it: events are appended
 * lock-free by whoever raises them (the engine, a firmware timer, a data path call) and delivered
 * at DISPATCH by one DPC at a time, so the driver sees them in order per HCA. The DPC handles at
 * most 64 events and re-queues itself if more remain, so one busy HCA cannot monopolise the
 * completion pool.
 *
 * <p>Thread-safe; {@link #post} never blocks.
 */
final class EventQueue {
    private static final int BATCH = 64;

    private final IoManager io;
    private final Consumer<Object> dispatcher;
    private final ConcurrentLinkedQueue<Object> events = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable drainer = this::drain;

    EventQueue(IoManager io, Consumer<Object> dispatcher) {
        this.io = io;
        this.dispatcher = dispatcher;
    }

    void post(Object event) {
        events.add(event);
        if (scheduled.compareAndSet(false, true)) {
            io.queueDpc(drainer);
        }
    }

    private void drain() {
        int n = 0;
        Object e;
        while (n++ < BATCH && (e = events.poll()) != null) {
            dispatcher.accept(e);
        }
        scheduled.set(false);
        if (!events.isEmpty() && scheduled.compareAndSet(false, true)) {
            io.queueDpc(drainer);
        }
    }
}
