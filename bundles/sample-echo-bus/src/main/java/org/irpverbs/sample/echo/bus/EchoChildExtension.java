package org.irpverbs.sample.echo.bus;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.irpverbs.irp.CancelSafeQueue;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoStackLocation;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.NtStatus;

/**
 * Device extension of a child PDO, and the "hardware" it models: the echo engine.
 *
 * <h2>Request contract ({@link SampleEchoBusDriver#IOCTL_ECHO}, INTERNAL_DEVICE_CONTROL)</h2>
 * <ul>
 * <li>input: the bytes to echo (at least one); output: at least as much space as input;</li>
 * <li>argument: null, or a {@code Long} latency in nanoseconds (0 = none) that the "hardware"
 * takes before the echo completes;</li>
 * <li>completes with SUCCESS and information = bytes copied; INVALID_PARAMETER for no input, a
 * read-only output buffer or a bad argument; BUFFER_TOO_SMALL for too little output space;
 * INVALID_DEVICE_REQUEST for another IOCTL.</li>
 * </ul>
 *
 * <h2>Simulated latency</h2>
 * A delayed request is marked pending and parked in a {@link CancelSafeQueue}; a timer of the I/O
 * manager ({@code IoManager.schedule}, a DPC, never a sleeping thread) later takes exactly that
 * request out again and completes it. The queue settles the race with cancellation: whichever of
 * the timer and {@link Irp#cancel()} clears the request's cancel routine first owns it, so the
 * request completes once, as SUCCESS or CANCELLED. A timer that finds its request gone does
 * nothing. When the child's own stack is removed the framework flushes the queue itself; when the
 * bus goes, the bus driver calls {@link #busGone(int)}, because the framework deletes a child that
 * no function driver started without sending it any PnP request.
 *
 * <p>Thread-safe: counters are atomic, the queue is cancel-safe.
 */
public final class EchoChildExtension {
    private volatile CancelSafeQueue latencyQueue;
    /** SUCCESS while the bus is there; afterwards the status every request fails with. */
    private volatile int goneStatus = NtStatus.SUCCESS;
    private final AtomicLong echoes = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong delayed = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong timersWithoutRequest = new AtomicLong();
    /** Null: the I/O manager's timers arm the latency, as in production. */
    private volatile LatencyTimers timersForTest;

    EchoChildExtension() {}

    /**
     * Who fires a delayed request's latency timer. A test seam: a test that must order a cancel
     * before the timer (or the timer before a cancel) holds the timers and fires them itself,
     * instead of hoping the scheduler runs it within the latency.
     */
    interface LatencyTimers {
        /** Arms {@code timer}, a DPC to be run at DISPATCH no earlier than {@code delayNanos} from now. */
        void arm(long delayNanos, Runnable timer);
    }

    /** Tests only: arms latency timers through {@code timers} from now on. */
    void armLatencyTimersWith(LatencyTimers timers) {
        timersForTest = timers;
    }

    /**
     * Creates the latency queue, which needs the device it belongs to (the framework flushes a
     * device's queues on removal). Called once, right after the PDO is created and before it is
     * reported to the PnP manager, so no request can see the queue missing.
     */
    void bind(DeviceObject pdo) {
        latencyQueue = new CancelSafeQueue(pdo, pdo.name() + " latency");
    }

    /** The INTERNAL_DEVICE_CONTROL dispatch routine of the child PDO; runs at the caller's level. */
    int dispatch(DeviceObject pdo, Irp irp) {
        IoStackLocation loc = irp.currentLocation();
        int gone = goneStatus;
        if (gone != NtStatus.SUCCESS) {
            return reject(irp, gone);
        }
        if (loc.ioControlCode() != SampleEchoBusDriver.IOCTL_ECHO) {
            return reject(irp, NtStatus.INVALID_DEVICE_REQUEST);
        }
        Object argument = loc.argument();
        long delayNanos;
        if (argument == null) {
            delayNanos = 0;
        } else if (argument instanceof Long l && l >= 0) {
            delayNanos = l;
        } else {
            return reject(irp, NtStatus.INVALID_PARAMETER);
        }
        int length = loc.inputLength();
        if (length == 0) {
            return reject(irp, NtStatus.INVALID_PARAMETER);
        }
        if (loc.outputLength() < length) {
            return reject(irp, NtStatus.BUFFER_TOO_SMALL);
        }
        if (loc.outputBuffer().isReadOnly()) {
            return reject(irp, NtStatus.INVALID_PARAMETER);
        }
        if (delayNanos == 0) {
            int copied = echo(loc);
            irp.complete(NtStatus.SUCCESS, copied);
            return NtStatus.SUCCESS;
        }
        // A fresh timer per send identifies this request: the Irp object alone could be cancelled,
        // reused and queued here again before the old timer fires. driverContext belongs to the
        // layer that owns the request, which is this one now.
        LatencyTimer timer = new LatencyTimer(latencyQueue);
        irp.setDriverContext(timer);
        delayed.incrementAndGet();
        int status = timer.queue.insert(irp);
        if (status != NtStatus.PENDING) {
            // already cancelled, or the device is being removed: insert completed it
            return status;
        }
        // From here on the request may be completed by a cancel at any moment: touch it no more.
        gone = goneStatus;
        if (gone != NtStatus.SUCCESS) {
            // busGone() may have flushed the queue just before the insert: then this request is
            // still queued and must not wait for a timer on hardware that is gone
            Irp mine = timer.queue.removeFirst(timer);
            if (mine != null) {
                mine.complete(gone);
            }
            return NtStatus.PENDING;
        }
        LatencyTimers heldByTest = timersForTest;
        if (heldByTest == null) {
            pdo.ioManager().schedule(delayNanos, timer);
        } else {
            heldByTest.arm(delayNanos, timer);
        }
        return NtStatus.PENDING;
    }

    /**
     * The bus this child sits on was surprise-removed or removed, so the child's hardware is gone:
     * fails the requests waiting for the latency timer with {@code status} and every later one
     * too. Needed for a child that no function driver started: the PnP manager deletes such a
     * child without a SURPRISE_REMOVAL or REMOVE request, so the framework neither flushes its
     * queue nor refuses new requests. For a started child it finds nothing left to do. Races with
     * {@link #dispatch}: the flag is set before the flush and read after the insert, so a request
     * is either flushed here or taken back by its dispatch routine.
     */
    void busGone(int status) {
        goneStatus = status;
        CancelSafeQueue queue = latencyQueue;
        if (queue != null) {
            queue.flush(status);
        }
    }

    /**
     * The simulated latency of one delayed request: its identity in the queue (the request's
     * driverContext, matched by {@link #test}) and the timer's DPC ({@link #run}), which completes
     * the request unless a cancel or a removal did.
     *
     * <p>A named class, not lambdas, because both run at DISPATCH: the JVM links a lambda's call
     * site and defines its class the first time the expression is evaluated, which for a fresh
     * bundle revision would happen on a completion thread, and two of them doing it at once wait
     * for each other. A named class is loaded and initialised at PASSIVE with the rest of the
     * bundle (the framework preloads a driver's classes before it adds the driver).
     */
    private final class LatencyTimer implements Runnable, Predicate<Irp> {
        final CancelSafeQueue queue;

        LatencyTimer(CancelSafeQueue queue) {
            this.queue = queue;
        }

        @Override
        public boolean test(Irp queued) {
            return queued.driverContext() == this;
        }

        /** The timer's DPC, at DISPATCH. */
        @Override
        public void run() {
            Irp irp = queue.removeFirst(this);
            if (irp == null) {
                timersWithoutRequest.incrementAndGet();
                return;
            }
            int copied = echo(irp.currentLocation());
            irp.complete(NtStatus.SUCCESS, copied);
        }
    }

    /**
     * Copies input to output through duplicates, so the caller's buffer positions stay where they
     * were (the framework reports the output as {@code information} bytes from its position).
     * Overlapping buffers are fine: with METHOD_BUFFERED both are views of one system buffer.
     */
    private int echo(IoStackLocation loc) {
        ByteBuffer in = loc.inputBuffer().duplicate();
        int n = in.remaining();
        loc.outputBuffer().duplicate().put(in);
        echoes.incrementAndGet();
        bytes.addAndGet(n);
        return n;
    }

    private int reject(Irp irp, int status) {
        rejected.incrementAndGet();
        irp.complete(status);
        return status;
    }

    /** Echo requests completed successfully (immediate and delayed). */
    public long echoesServed() {
        return echoes.get();
    }

    /** Bytes echoed in total. */
    public long bytesEchoed() {
        return bytes.get();
    }

    /** Requests that asked for a latency (whatever became of them). */
    public long delayedRequests() {
        return delayed.get();
    }

    /** Requests failed by validation. */
    public long rejectedRequests() {
        return rejected.get();
    }

    /** Requests waiting for their latency timer now. */
    public int waiting() {
        CancelSafeQueue queue = latencyQueue;
        return queue == null ? 0 : queue.size();
    }

    /** Timers that fired after their request was cancelled or flushed by a removal. */
    public long timersWithoutRequest() {
        return timersWithoutRequest.get();
    }

    /** One line for shells ({@code irp:stats}). */
    @Override
    public String toString() {
        return "echoes " + echoes.get() + " (" + bytes.get() + " bytes), delayed " + delayed.get() + ", waiting "
                + waiting() + ", rejected " + rejected.get();
    }
}
