package org.irpverbs.softhca.cmdif;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.CancelSafeQueue;
import org.irpverbs.irp.Cancellable;
import org.irpverbs.irp.CompletionRoutine;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoctlCode;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpHandler;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.CommandStatus;
import org.irpverbs.softhca.Firmware;
import org.irpverbs.softhca.Opcode;

/**
 * The firmware command interface as a device in the HCA's stack, below the HCA driver's function
 * device and above the physical device:
 * <pre>
 *   [HCA function device]  verbs IOCTLs; sends HCR command requests down
 *   [command interface]    ◄ this: tokens, the outstanding bound, the queue of requests
 *   [physical device]      the soft HCA hardware (bus driver)
 * </pre>
 * A command request is an INTERNAL_DEVICE_CONTROL {@link #IOCTL_HCR_COMMAND} whose argument is an
 * {@link HcrRequest}. In {@link CommandMode#QUEUED} mode it is posted at once if a token is free,
 * else it waits in a cancel-safe queue in arrival order; the firmware's completion event frees the
 * token, completes the request and posts the next queued one. Nothing waits in a thread, so a
 * command can be issued at DISPATCH. Tokens carry a generation in their high byte that changes on
 * every reuse, so the late completion of a timed-out command is recognised and ignored.
 *
 * <p>Removal: REMOVE waits (the framework's remove lock) until every command request in flight
 * has completed — by the firmware or by its timeout; a surprise removal fails outstanding
 * commands at once with DEVICE_REMOVED.
 *
 * <p>Thread-safe.
 */
public final class CommandInterface {
    /** Command requests: INTERNAL_DEVICE_CONTROL with an {@link HcrRequest} argument. */
    public static final int IOCTL_HCR_COMMAND = IoctlCode.ctlCode(IoctlCode.FILE_DEVICE_INFINIBAND, 0x900,
            IoctlCode.METHOD_NEITHER, IoctlCode.FILE_ANY_ACCESS);
    /** Default time the firmware gets to answer a command (mthca uses seconds; scaled like latencies). */
    public static final long DEFAULT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private static final int MAX_SLOTS = 256;
    /** Slot word: BUSY flag | token; a free slot keeps its last token so the next generation follows it. */
    private static final int BUSY = 1 << 16;

    private static final DriverObject DRIVER = DriverObject.builder("HcaCommandInterface")
            .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (device, irp) -> device.extension(CommandInterface.class)
                    .dispatch(irp))
            .pnp(new PnpHandler() {
                @Override
                public void surpriseRemoval(DeviceObject device) {
                    device.extension(CommandInterface.class).failOutstanding(NtStatus.DEVICE_REMOVED);
                }
            }).build();

    private final IoManager io;
    private final DeviceObject device;
    private final CommandMode mode;
    private final long timeoutNanos;
    private final CancelSafeQueue waiting;
    private volatile Firmware firmware;
    private volatile int slots;

    /** Per slot: BUSY | token while a command holds it; token = generation (1..255) << 8 | slot. */
    private final AtomicIntegerArray tokens = new AtomicIntegerArray(MAX_SLOTS);
    private final AtomicReferenceArray<Irp> slotRequests = new AtomicReferenceArray<>(MAX_SLOTS);
    private final AtomicReferenceArray<Cancellable> slotTimers = new AtomicReferenceArray<>(MAX_SLOTS);
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicInteger pumpRequests = new AtomicInteger();
    private final AtomicInteger maxQueued = new AtomicInteger();
    private final AtomicLongArray completedByOpcode = new AtomicLongArray(Opcode.values().length);
    private final AtomicLong timedOut = new AtomicLong();
    private final AtomicLong stale = new AtomicLong();

    // legacy mode: a semaphore for tokens and an event per slot, as the old Tavor driver had
    private volatile Semaphore legacyTokens;

    private CommandInterface(IoManager io, String name, CommandMode mode, long timeoutNanos) {
        if (timeoutNanos <= 0) {
            throw new IllegalArgumentException("command timeout must be positive, was " + timeoutNanos);
        }
        this.io = io;
        this.mode = mode;
        this.timeoutNanos = timeoutNanos;
        this.device = io.createDevice(DRIVER, name, DeviceObject.Kind.FILTER, this);
        this.waiting = new CancelSafeQueue(device, name + "-waiting");
    }

    /**
     * Creates the command interface device and attaches it on the HCA's physical device; the HCA
     * driver then attaches its function device on top. Called from AddDevice.
     *
     * @param name a device name (may end in {@code #})
     */
    public static CommandInterface attach(IoManager io, DeviceObject physicalDevice, String name, CommandMode mode,
            long timeoutNanos) {
        CommandInterface ci = new CommandInterface(io, name, mode, timeoutNanos);
        io.attach(ci.device, physicalDevice);
        return ci;
    }

    public DeviceObject device() {
        return device;
    }

    public CommandMode mode() {
        return mode;
    }

    /**
     * Connects the interface to the hardware's HCR once the driver has it (START, after
     * QUERY_INTERFACE). Until then command requests fail with DEVICE_NOT_READY. The bound starts
     * at 1 and grows to the firmware's after QUERY_FW ({@link #setMaxOutstanding}).
     */
    public void bind(Firmware hcr) {
        this.firmware = hcr;
        hcr.setCompletionHandler(this::commandCompleted);
        setMaxOutstanding(1);
    }

    /** The bound QUERY_FW reported ({@code 1 << log_max_outstanding_cmd}), capped by the hardware's. */
    public void setMaxOutstanding(int max) {
        if (max < 1 || max > MAX_SLOTS) {
            throw new IllegalArgumentException("outstanding commands must be 1.." + MAX_SLOTS + ", was " + max);
        }
        Firmware hcr = firmware;
        int bound = hcr == null ? max : Math.min(max, hcr.maxOutstanding());
        this.slots = bound;
        this.legacyTokens = new Semaphore(bound, true);
        pump();
    }

    public int maxOutstanding() {
        return slots;
    }

    // ---- sending (called by the HCA driver) ----

    /**
     * Passes {@code irp} down to this interface as a command request (the caller's next stack
     * location is filled), with {@code routine} run when the command completes. For a request the
     * driver owns (a verbs IOCTL being served, or one it allocated).
     */
    public int send(Irp irp, HcrRequest request, CompletionRoutine routine, Object context) {
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL).setIoControlCode(IOCTL_HCR_COMMAND)
                .setArgument(request).setInputBuffer(null).setOutputBuffer(null);
        if (routine != null) {
            irp.setCompletionRoutine(routine, context);
        }
        return device.callDriver(irp);
    }

    /** A new request carrying one command, for commands the driver issues on its own (start-up). */
    public Irp newRequest(HcrRequest request) {
        Irp irp = new Irp(device.stackSize());
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL).setIoControlCode(IOCTL_HCR_COMMAND)
                .setArgument(request);
        return irp;
    }

    // ---- dispatch ----

    private int dispatch(Irp irp) {
        if (irp.currentLocation().ioControlCode() != IOCTL_HCR_COMMAND
                || !(irp.currentLocation().argument() instanceof HcrRequest)) {
            irp.complete(NtStatus.INVALID_DEVICE_REQUEST);
            return NtStatus.INVALID_DEVICE_REQUEST;
        }
        if (firmware == null) {
            irp.complete(NtStatus.DEVICE_NOT_READY);
            return NtStatus.DEVICE_NOT_READY;
        }
        if (mode == CommandMode.LEGACY_BLOCKING) {
            return executeBlocking(irp);
        }
        irp.markPending();
        int slot = waiting.size() == 0 ? acquireSlot() : -1;
        if (slot >= 0) {
            post(slot, irp);
        } else {
            int status = waiting.insert(irp);
            if (status != NtStatus.PENDING) {
                return status; // cancelled before it was queued, or the device is going away
            }
            maxQueued.accumulateAndGet(waiting.size(), Math::max);
            pump();
        }
        return NtStatus.PENDING;
    }

    /**
     * Posts queued requests while tokens are free. One thread pumps at a time (others only record
     * that they wanted to, and the pumping thread goes round again), so commands reach the HCR in
     * exactly the order they left the queue even when completions arrive on several threads.
     */
    private void pump() {
        if (pumpRequests.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            postWhileTokensFree();
            missed = pumpRequests.addAndGet(-missed);
        } while (missed != 0);
    }

    private void postWhileTokensFree() {
        while (waiting.size() > 0) {
            int slot = acquireSlot();
            if (slot < 0) {
                return;
            }
            Irp next = waiting.removeNext();
            if (next == null) {
                releaseSlot(slot);
                return;
            }
            post(slot, next);
        }
    }

    /** Takes a free slot and gives it the next token generation; -1 if all are busy. */
    private int acquireSlot() {
        int bound = slots;
        for (int i = 0; i < bound; i++) {
            int word = tokens.get(i);
            if ((word & BUSY) == 0) {
                int generation = (((word >>> 8) & 0xFF) % 255) + 1;
                if (tokens.compareAndSet(i, word, BUSY | (generation << 8) | i)) {
                    outstanding.incrementAndGet();
                    return i;
                }
            }
        }
        return -1;
    }

    /** The token the slot's command was posted with. */
    private int tokenOf(int slot) {
        return tokens.get(slot) & 0xFFFF;
    }

    /** Frees a slot if it still holds {@code token}; false if someone else (completion, timeout) did. */
    private boolean freeSlot(int slot, int token) {
        if (tokens.compareAndSet(slot, BUSY | token, token)) {
            outstanding.decrementAndGet();
            return true;
        }
        return false;
    }

    private void releaseSlot(int slot) {
        freeSlot(slot, tokenOf(slot));
    }

    private void post(int slot, Irp irp) {
        int token = tokenOf(slot);
        HcrRequest request = (HcrRequest) irp.currentLocation().argument();
        arm(slot, token, irp);
        if (!firmware.post(request.command(), token)) {
            // the HCR is still busy with a command we gave up on (timed out): wait for its completion
            Irp again = claim(slot, token);
            if (again != null) {
                // back in the queue; the next completion event (even a stale one) posts it again. This
                // reorders only requests the firmware refused while it still works on one we gave up on.
                waiting.insert(again);
            }
        }
    }

    /** Gives the slot its request and starts the command's timeout. */
    private void arm(int slot, int token, Irp irp) {
        slotRequests.set(slot, irp);
        slotTimers.set(slot, io.schedule(timeoutNanos, () -> timeout(slot, token)));
    }

    /**
     * Takes the request out of the slot and frees the slot, if both still belong to {@code token}
     * (a completion and a timeout race for it); null if the other side won.
     */
    private Irp claim(int slot, int token) {
        Irp irp = takeSlot(slot, token);
        return irp != null && freeSlot(slot, token) ? irp : null;
    }

    /**
     * Ends a claimed request: a legacy caller blocked on its event completes the request itself,
     * anything else is completed here with {@code status}.
     */
    private static void finish(Irp irp, int status) {
        CountDownLatch event = takeLegacyEvent(irp);
        if (event != null) {
            event.countDown();
        } else {
            irp.complete(status);
        }
    }

    /** The legacy caller's completion event, if the request came through the blocking path. */
    private static CountDownLatch takeLegacyEvent(Irp irp) {
        if (irp.driverContext() instanceof CountDownLatch event) {
            irp.setDriverContext(null);
            return event;
        }
        return null;
    }

    /** Clears a slot if it still holds {@code token}; returns its request (null if gone). */
    private Irp takeSlot(int slot, int token) {
        if (tokens.get(slot) != (BUSY | token)) {
            return null;
        }
        Irp irp = slotRequests.getAndSet(slot, null);
        Cancellable timer = slotTimers.getAndSet(slot, null);
        if (timer != null) {
            timer.cancel();
        }
        return irp;
    }

    /** The firmware's command-completion event (at DISPATCH). */
    private void commandCompleted(int token, CommandStatus status, Object output) {
        int slot = token & 0xFF;
        Irp irp = claim(slot, token);
        if (irp == null) {
            stale.incrementAndGet();
            pump();
            return;
        }
        HcrRequest request = (HcrRequest) irp.currentLocation().argument();
        request.completed(status, output);
        completedByOpcode.incrementAndGet(request.command().opcode().ordinal());
        // Refill the HCR before completing: the completion runs the callers' completion routines
        // (often the next command of a multi-command verb, or a whole promise chain), and the freed
        // token should not sit idle while they run.
        pump();
        finish(irp, status.ntStatus());
    }

    /** The firmware did not answer in time: the token's generation moves on, so a late answer is ignored. */
    private void timeout(int slot, int token) {
        Irp irp = claim(slot, token);
        if (irp == null) {
            return;
        }
        timedOut.incrementAndGet();
        pump();
        finish(irp, NtStatus.IO_TIMEOUT);
    }

    /** Surprise removal: the hardware will not answer; every outstanding command fails now. */
    private void failOutstanding(int status) {
        for (int slot = 0; slot < MAX_SLOTS; slot++) {
            int word = tokens.get(slot);
            if ((word & BUSY) == 0) {
                continue;
            }
            int token = word & 0xFFFF;
            Irp irp = claim(slot, token);
            if (irp != null) {
                finish(irp, status);
            }
        }
    }

    // ---- legacy mode ----

    /**
     * The old driver's command path, for the comparison benchmark: block on the token semaphore,
     * post, block on the completion event, complete the request on the caller's thread.
     */
    private int executeBlocking(Irp irp) {
        BlockingDetector.checkMayBlock("legacy command interface");
        HcrRequest request = (HcrRequest) irp.currentLocation().argument();
        Semaphore tokenSemaphore = legacyTokens;
        try {
            tokenSemaphore.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            irp.complete(NtStatus.CANCELLED);
            return NtStatus.CANCELLED;
        }
        try {
            int acquired;
            while ((acquired = acquireSlot()) < 0) {
                Thread.onSpinWait(); // the semaphore admitted us, so a slot frees within a completion
            }
            final int slot = acquired;
            // the event travels with the request (its driver context while this layer owns it), not
            // with the slot: a slot is reused the moment it is freed, an event must wake its own caller
            CountDownLatch event = new CountDownLatch(1);
            irp.setDriverContext(event);
            int token = tokenOf(slot);
            arm(slot, token, irp);
            if (!firmware.post(request.command(), token)) {
                takeSlot(slot, token);
                irp.setDriverContext(null);
                freeSlot(slot, token);
                irp.complete(NtStatus.DEVICE_NOT_READY);
                return NtStatus.DEVICE_NOT_READY;
            }
            try {
                event.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            int status = request.firmwareStatus() == null ? NtStatus.IO_TIMEOUT : request.firmwareStatus().ntStatus();
            irp.complete(status);
            return status;
        } finally {
            tokenSemaphore.release();
        }
    }

    // ---- statistics ----

    public CommandStatistics statistics() {
        Map<Opcode, Long> byOpcode = new EnumMap<>(Opcode.class);
        for (Opcode op : Opcode.values()) {
            long n = completedByOpcode.get(op.ordinal());
            if (n > 0) {
                byOpcode.put(op, n);
            }
        }
        return new CommandStatistics(mode, slots, outstanding.get(), waiting.size(), maxQueued.get(), byOpcode,
                timedOut.get(), stale.get(), device.statistics().cancelled());
    }

    @Override
    public String toString() {
        return "CommandInterface " + device.name() + " (" + mode + ", " + outstanding.get() + "/" + slots + " outstanding, "
                + waiting.size() + " queued)";
    }
}
