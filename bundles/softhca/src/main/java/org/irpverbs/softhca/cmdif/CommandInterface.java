package org.irpverbs.softhca.cmdif;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntConsumer;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.CancelSafeQueue;
import org.irpverbs.irp.Cancellable;
import org.irpverbs.irp.CompletionRoutine;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoctlCode;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.PnpHandler;
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
 * {@link HcrRequest}. In {@link CommandMode#QUEUED} mode it joins a cancel-safe queue in arrival
 * order and is posted as soon as a token is free; the firmware's completion event frees the token,
 * completes the request and posts the next queued one. Nothing waits in a thread, so a command can
 * be issued at DISPATCH. Tokens carry a generation that changes on every
 * reuse, and a token whose command was given up on is not issued again until its late completion
 * arrives, so a late completion is always recognised and ignored.
 *
 * <p><b>Refused posts.</b> The firmware refuses a post when it is full (a command that timed out
 * still runs in it) or failed. The refused request keeps its token and its timeout and waits, and
 * nothing more is offered to the firmware until it may have room again: until it answers some
 * command (even a stale one), or — for a firmware that stays silent — once per timeout period, when
 * the request first in line is offered again (a firmware reset without a completion is noticed
 * that way). Requests queued while the firmware refuses complete with {@code IO_TIMEOUT} after one
 * to two timeout periods of such silence. So every accepted request completes: by the firmware, by
 * its timeout, or with {@code DEVICE_REMOVED} when the hardware goes; and sending never loops.
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

    private static final int MAX_SLOTS = CommandSlots.MAX_SLOTS;
    /**
     * Rounds one thread pumps before it hands the rest to a DPC: a caller of {@code callDriver} does
     * bounded work even while completions on other threads keep asking for more posts.
     */
    private static final int MAX_PUMP_ROUNDS = 4;
    /** {@link HcrRequest#stalledSince} of a request that did not start waiting behind a refusal. */
    static final long NOT_STALLED = Long.MIN_VALUE;

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
    private final CommandTimer timer;
    private final CancelSafeQueue waiting;
    private final CommandSlots slots;
    private volatile Firmware firmware;
    private volatile int bound;
    private volatile boolean hardwareGone;

    private final AtomicInteger pumpRequests = new AtomicInteger();
    /**
     * Occupants in the REFUSED phase (so the pump looks for them only when there are some): counted
     * up by the refusal, down by whichever moves the occupant out of REFUSED (the pump offering it
     * again, or its timeout or the removal taking it), each with a compare-and-set on its phase.
     */
    private final AtomicInteger refusedWaiting = new AtomicInteger();
    /**
     * The gate in front of the firmware: every event after which it may have room again (an answer
     * to any command, a silent timeout period) is a new chance; a refusal closes the gate for the
     * chance it was made in. Open while {@code postChances > closedAtChance}.
     */
    private final AtomicLong postChances = new AtomicLong();
    private final AtomicLong closedAtChance = new AtomicLong(-1);
    private final AtomicLong firmwareAnswers = new AtomicLong();
    /** Timeout periods the firmware spent refusing and silent; requests behind the refusal are stamped with it. */
    private final AtomicLong silentPeriods = new AtomicLong();
    /** Queued requests stamped at or before this have waited a whole silent period: they time out. Pump-owned. */
    private final AtomicLong timeOutStalledUpTo = new AtomicLong(NOT_STALLED);
    private final AtomicBoolean stallTimerArmed = new AtomicBoolean();

    private final AtomicInteger maxQueued = new AtomicInteger();
    private final AtomicLongArray completedByOpcode = new AtomicLongArray(Opcode.values().length);
    private final AtomicLong timedOut = new AtomicLong();
    private final AtomicLong stale = new AtomicLong();

    /**
     * Test seam: runs in a command completion after it found the token's occupant and before it
     * takes the slot, so a test can make a timeout and the next post happen exactly there.
     */
    volatile IntConsumer beforeCompletionTakesSlot;

    // legacy mode: a semaphore for tokens and an event per request, as the old Tavor driver had
    private volatile Semaphore legacyTokens;

    private CommandInterface(IoManager io, String name, CommandMode mode, long timeoutNanos, CommandTimer timer,
            int generationBits) {
        if (timeoutNanos <= 0) {
            throw new IllegalArgumentException("command timeout must be positive, was " + timeoutNanos);
        }
        this.io = io;
        this.mode = mode;
        this.timeoutNanos = timeoutNanos;
        this.timer = timer;
        this.slots = new CommandSlots(generationBits);
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
        return attach(io, physicalDevice, name, mode, timeoutNanos, io::schedule);
    }

    /** {@link #attach} with the timers on {@code timer} (tests fire them by hand). */
    static CommandInterface attach(IoManager io, DeviceObject physicalDevice, String name, CommandMode mode,
            long timeoutNanos, CommandTimer timer) {
        return attach(io, physicalDevice, name, mode, timeoutNanos, timer, CommandSlots.GENERATION_BITS);
    }

    /** {@link #attach} with narrower token generations (tests of the wrap). */
    static CommandInterface attach(IoManager io, DeviceObject physicalDevice, String name, CommandMode mode,
            long timeoutNanos, CommandTimer timer, int generationBits) {
        CommandInterface ci = new CommandInterface(io, name, mode, timeoutNanos, timer, generationBits);
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
        int newBound = hcr == null ? max : Math.min(max, hcr.maxOutstanding());
        this.bound = newBound;
        this.legacyTokens = new Semaphore(newBound, true);
        pump();
    }

    public int maxOutstanding() {
        return bound;
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
                || !(irp.currentLocation().argument() instanceof HcrRequest request)) {
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
        // Every request goes through the queue, and only the pumping thread takes tokens: requests
        // reach the HCR in arrival order, and a token the pump found free stays free until it takes it.
        boolean stalled = !gateOpen();
        request.stalledSince = stalled ? silentPeriods.get() : NOT_STALLED;
        int status = waiting.insert(irp);
        if (status != NtStatus.PENDING) {
            return status; // cancelled before it was queued, or the device is going away
        }
        if (stalled) {
            armStallTimer();
        }
        pump();
        // measured after the pump, so that a request that got a token at once did not wait
        maxQueued.accumulateAndGet(waiting.size(), Math::max);
        return NtStatus.PENDING;
    }

    /**
     * Posts what may be posted. One thread pumps at a time (others only record that they wanted
     * to, and the pumping thread goes round again), so commands reach the HCR in exactly the order
     * they left the queue even when completions arrive on several threads. A thread pumps at most
     * {@link #MAX_PUMP_ROUNDS} rounds, then a DPC takes over.
     */
    private void pump() {
        if (mode == CommandMode.LEGACY_BLOCKING) {
            return; // legacy callers post from their own threads
        }
        if (pumpRequests.getAndIncrement() == 0) {
            pumpRounds(1);
        }
    }

    private void pumpRounds(int missed) {
        for (int round = 1;; round++) {
            pumpOnce();
            missed = pumpRequests.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
            if (round == MAX_PUMP_ROUNDS) {
                int handedOver = missed;
                io.queueDpc(() -> pumpRounds(handedOver)); // the pump stays owned (pumpRequests != 0) by the DPC
                return;
            }
        }
    }

    /** One pass, owned by the pumping thread: at most one post per token, and none once refused. */
    private void pumpOnce() {
        Firmware hcr = firmware;
        if (hcr == null || hardwareGone) {
            return;
        }
        long due = timeOutStalledUpTo.getAndSet(NOT_STALLED);
        if (due != NOT_STALLED) {
            long n = waiting.flush(NtStatus.IO_TIMEOUT, irp -> request(irp).stalledSince <= due);
            timedOut.addAndGet(n);
        }
        // the refused first: they left the queue before anything still in it
        for (int i = 0; i < MAX_SLOTS && refusedWaiting.get() > 0 && gateOpen(); i++) {
            CommandSlots.Occupant o = slots.occupantAt(i);
            if (o != null && o.phase.compareAndSet(CommandSlots.REFUSED, CommandSlots.POSTING)) {
                refusedWaiting.decrementAndGet();
                if (!slots.holds(o)) {
                    // taken after we read the slot, by a taker that saw POSTING; it was never posted
                    slots.forget(o.token);
                } else if (!offer(hcr, o)) {
                    return;
                }
            }
        }
        int limit = bound;
        for (int posts = 0; posts < limit && gateOpen(); posts++) {
            int free = slots.findFree(limit);
            if (free < 0) {
                return;
            }
            Irp next = waiting.removeNext();
            if (next == null) {
                return;
            }
            CommandSlots.Occupant o = slots.acquireAt(free, next); // free until we take it: only the pump takes tokens
            if (o == null) {
                next.complete(NtStatus.INTERNAL_ERROR);
                DriverVerifier.report(device.name() + ": a free token was taken by someone other than the pump");
                return;
            }
            arm(o);
            if (!offer(hcr, o)) {
                return;
            }
        }
    }

    private static HcrRequest request(Irp irp) {
        return (HcrRequest) irp.currentLocation().argument();
    }

    private boolean gateOpen() {
        return postChances.get() > closedAtChance.get();
    }

    /** Starts the command's timeout; whoever takes the slot first (completion, timeout, removal) cancels it. */
    private void arm(CommandSlots.Occupant o) {
        o.timer = timer.schedule(timeoutNanos, () -> timedOut(o));
        if (!slots.holds(o)) {
            o.timer.cancel(); // taken before the timer was stored, so the taker could not cancel it
        }
    }

    /**
     * Offers the occupant's command to the firmware (pump-owned). Refused: the occupant keeps its
     * slot and timer, marked REFUSED, and the gate closes until the firmware may have room again.
     */
    private boolean offer(Firmware hcr, CommandSlots.Occupant o) {
        long chance = postChances.get();
        if (hardwareGone) {
            // the removal may have looked at this slot before we took it: the request is ours to end
            if (take(o, false)) {
                finish(o.request, NtStatus.DEVICE_REMOVED);
            }
            return false;
        }
        if (hcr.post(request(o.request).command(), o.token)) {
            // if a timeout or removal took the slot meanwhile, it saw POSTING and kept the token abandoned
            o.phase.set(CommandSlots.POSTED);
            return true;
        }
        refusedWaiting.incrementAndGet();
        o.phase.set(CommandSlots.REFUSED);
        if (!slots.holds(o) && o.phase.compareAndSet(CommandSlots.REFUSED, CommandSlots.TAKEN_REFUSED)) {
            // taken meanwhile by a taker that saw POSTING: this token can never come back
            refusedWaiting.decrementAndGet();
            slots.forget(o.token);
        }
        closedAtChance.accumulateAndGet(chance, Math::max);
        if (postChances.get() > chance) {
            pump(); // the firmware answered while we posted: go round again (we own the pump: this only counts)
        }
        armStallTimer();
        return false;
    }

    /** Something the firmware did may have given it room: open the gate and pump. */
    private void newPostChance() {
        postChances.incrementAndGet();
        pump();
    }

    /**
     * While the gate is closed, a timer per timeout period: if the firmware answered nothing in
     * the period, queued requests that have waited a whole silent period time out, and the request
     * first in line is offered again (one post per period, never a loop).
     */
    private void armStallTimer() {
        if (hardwareGone || !stallTimerArmed.compareAndSet(false, true)) {
            return;
        }
        long answersBefore = firmwareAnswers.get();
        timer.schedule(timeoutNanos, () -> stallPeriodEnded(answersBefore));
    }

    private void stallPeriodEnded(long answersBefore) {
        stallTimerArmed.set(false);
        if (hardwareGone || gateOpen()) {
            return;
        }
        if (firmwareAnswers.get() == answersBefore) {
            long period = silentPeriods.incrementAndGet();
            // stamped with period - 2 or earlier (or before the stall): waited at least one whole silent period
            timeOutStalledUpTo.accumulateAndGet(period - 2, Math::max);
            newPostChance();
        }
        if (!gateOpen() && (waiting.size() > 0 || slots.occupied() > 0)) {
            armStallTimer(); // still refusing with requests waiting; once nothing waits, a new arrival re-arms it
        }
    }

    /** The firmware's command-completion event (at DISPATCH). */
    private void commandCompleted(int token, CommandStatus status, Object output) {
        firmwareAnswers.incrementAndGet();
        CommandSlots.Occupant o = slots.find(token);
        if (o != null) {
            IntConsumer hook = beforeCompletionTakesSlot;
            if (hook != null) {
                hook.accept(token);
            }
            if (!take(o, false)) {
                o = null;
            }
        }
        if (o == null) {
            // stale: given up on (timed out) or never ours; it can no longer come back, and it freed the firmware's slot
            slots.forget(token);
            stale.incrementAndGet();
            newPostChance();
            return;
        }
        HcrRequest request = request(o.request);
        request.completed(status, output);
        completedByOpcode.incrementAndGet(request.command().opcode().ordinal());
        // Refill the HCR before completing: the completion runs the callers' completion routines
        // (often the next command of a multi-command verb, or a whole promise chain), and the freed
        // token should not sit idle while they run.
        newPostChance();
        finish(o.request, status.ntStatus());
    }

    /** The firmware did not answer in time: the token is abandoned, so a late answer is ignored. */
    private void timedOut(CommandSlots.Occupant o) {
        if (!take(o, true)) {
            return;
        }
        timedOut.incrementAndGet();
        pump();
        finish(o.request, NtStatus.IO_TIMEOUT);
    }

    /**
     * Takes the slot from {@code o} (one atomic step) and cancels its timer; false if a completion,
     * timeout or removal took it first. {@code givingUp}: a timeout or removal, after which the
     * firmware may still answer, unless the command's post was refused.
     */
    private boolean take(CommandSlots.Occupant o, boolean givingUp) {
        if (!slots.release(o, givingUp)) {
            return false;
        }
        if (o.phase.compareAndSet(CommandSlots.REFUSED, CommandSlots.TAKEN_REFUSED)) {
            refusedWaiting.decrementAndGet();
            slots.forget(o.token); // refused: the firmware never had it
        }
        Cancellable t = o.timer;
        if (t != null) {
            t.cancel();
        }
        return true;
    }

    /**
     * Ends a taken request: a legacy caller blocked on its event is told the status and completes
     * the request itself, anything else is completed here with {@code status}.
     */
    private static void finish(Irp irp, int status) {
        if (irp.driverContext() instanceof LegacyWait wait) {
            irp.setDriverContext(null);
            wait.wake(status);
        } else {
            irp.complete(status);
        }
    }

    /** Surprise removal: the hardware will not answer; every outstanding and queued command fails now. */
    private void failOutstanding(int status) {
        hardwareGone = true;
        for (int slot = 0; slot < MAX_SLOTS; slot++) {
            CommandSlots.Occupant o = slots.occupantAt(slot);
            if (o != null && take(o, true)) {
                finish(o.request, status);
            }
        }
        waiting.flush(status);
    }

    // ---- legacy mode ----

    /** A legacy caller's wake-up: travels with the request (its driver context), not with the slot. */
    private static final class LegacyWait {
        final CountDownLatch event = new CountDownLatch(1);
        volatile int status;

        void wake(int finalStatus) {
            status = finalStatus;
            event.countDown();
        }
    }

    /**
     * The old driver's command path, for the comparison benchmark: block on the token semaphore,
     * post, block on the completion event, complete the request on the caller's thread.
     */
    private int executeBlocking(Irp irp) {
        BlockingDetector.checkMayBlock("legacy command interface");
        Semaphore tokenSemaphore = legacyTokens;
        try {
            tokenSemaphore.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            irp.complete(NtStatus.CANCELLED);
            return NtStatus.CANCELLED;
        }
        try {
            LegacyWait wait = new LegacyWait();
            irp.setDriverContext(wait);
            CommandSlots.Occupant o;
            while ((o = slots.acquire(bound, irp)) == null) {
                Thread.onSpinWait(); // the semaphore admitted us, so a slot frees within a completion
            }
            arm(o);
            boolean posted = !hardwareGone && firmware.post(request(irp).command(), o.token);
            if (posted) {
                o.phase.set(CommandSlots.POSTED);
            }
            // refused (the old driver failed the command at once), or the hardware went before we
            // posted, or after: the removal may have looked at this slot before we took it
            if (!posted || hardwareGone) {
                int status = hardwareGone ? NtStatus.DEVICE_REMOVED : NtStatus.DEVICE_NOT_READY;
                if (take(o, posted)) {
                    irp.setDriverContext(null);
                    irp.complete(status);
                    return status;
                }
                // a timeout or the removal took it first and wakes us
            }
            try {
                wait.event.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            int status = wait.status;
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
        return new CommandStatistics(mode, bound, slots.occupied(), waiting.size(), maxQueued.get(), byOpcode,
                timedOut.get(), stale.get(), device.statistics().cancelled());
    }

    /** Tokens given up on whose late completion has not come (tests). */
    int abandonedTokens() {
        return slots.abandoned();
    }

    @Override
    public String toString() {
        return "CommandInterface " + device.name() + " (" + mode + ", " + slots.occupied() + "/" + bound
                + " outstanding, " + waiting.size() + " queued" + (gateOpen() ? "" : ", firmware refusing") + ")";
    }
}
