package org.irpverbs.irp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * An I/O request packet: one {@link IoStackLocation} per device layer, a status and an information
 * value, cancellation state and the originator's completion listener.
 *
 * <h2>Life cycle</h2>
 * <pre>
 *  allocate ──► IDLE ──send/callDriver──► ACTIVE ──complete──► COMPLETED ──reuse──► IDLE
 *                                           ▲          │
 *                                           └──────────┘ a completion routine returned
 *                                             MORE_PROCESSING_REQUIRED: the layer owns it again
 * </pre>
 * A request is completed exactly once per send: a second {@link #complete} is reported to
 * {@link DriverVerifier} and thrown as {@link IllegalStateException}, as is passing a completed
 * request down again without {@link #reuse()}. Its timeout covers the whole send, across retries by
 * completion routines, until the completion reaches the originator (or the originator's own
 * routine keeps it and {@link #reuse(int)}s it).
 *
 * <h2>Levels</h2>
 * Every routine the framework calls (dispatch, completion, cancel, the completion listener) must
 * return at the level it was called at, as a Windows routine returns at its IRQL; one that does not
 * is reported to {@link DriverVerifier} and the level is put back, so that what runs next runs
 * where the framework thinks it runs and a wait there is still caught.
 *
 * <h2>Synchronous retries</h2>
 * A completion routine that re-sends the request and sees it completed again on the same thread,
 * inside its own {@code callDriver}, does not recurse: that completion only records the status,
 * and the unwind that called the routine goes on with it once the routine returns. So a retry
 * loop runs in constant Java stack however many times it repeats (a Windows driver would queue a
 * work item for the same reason).
 *
 * <h2>Stack locations</h2>
 * Locations are indexed so that the originator stands above the top one. A layer fills the
 * {@link #nextLocation()} (or {@link #copyCurrentToNext()} / {@link #skipCurrentLocation()}),
 * optionally sets a completion routine for it, and calls {@link DeviceObject#callDriver(Irp)} on
 * the lower device, which makes that location current.
 *
 * <h2>Threads</h2>
 * A request is owned by one layer at a time and that owner's accesses need no locking; ownership
 * passes with {@code callDriver}, {@code complete} and the queues. {@link #cancel()} may be
 * called by anyone at any time and races safely with completion.
 */
public final class Irp {
    static final int IDLE = 0;
    static final int ACTIVE = 1;
    static final int COMPLETING = 2;
    static final int COMPLETED = 3;

    private static final VarHandle STATE;
    private static final VarHandle CANCEL_ROUTINE;
    private static final VarHandle CANCEL_LOCK;
    private static final VarHandle CANCEL;
    private static final VarHandle CANCEL_STATUS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(Irp.class, "state", int.class);
            CANCEL_ROUTINE = lookup.findVarHandle(Irp.class, "cancelRoutine", CancelRoutine.class);
            CANCEL_LOCK = lookup.findVarHandle(Irp.class, "cancelLock", int.class);
            CANCEL = lookup.findVarHandle(Irp.class, "cancel", boolean.class);
            CANCEL_STATUS = lookup.findVarHandle(Irp.class, "cancelStatus", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final IoStackLocation[] stack;
    /** Index of the current location; {@code stack.length} while the originator holds it. */
    private int current;
    private volatile int state;
    private int status;
    private long information;
    private boolean pendingReturned;

    private volatile CancelRoutine cancelRoutine;
    private DeviceObject cancelDevice;
    private volatile boolean cancel;
    private volatile int cancelStatus = NtStatus.CANCELLED;
    /** Serialises cancel against reuse so a late cancel never hits the next send. */
    private volatile int cancelLock;
    private long generation;

    /** Counts cancel routines set, so a dispatch routine that throws can tell whether it made the request cancellable. */
    private int cancelRoutinesSet;

    // Devices that passed the request on with skipCurrentLocation, whose statistics wait for the
    // completion to pass the location they gave away (a stack, as skips happen going down and are
    // counted coming up); allocated at the first skip, kept across reuse.
    private DeviceObject[] skippedDevices;
    private int[] skippedAt;
    private int skipped;

    private IrpCompletionListener listener;
    private RequestorMode requestorMode = RequestorMode.KERNEL;
    private long timeoutNanos;
    Object armedTimer;
    private Object driverContext;

    // Intrusive links for CancelSafeQueue: queueing allocates nothing.
    Irp queueNext;
    Irp queuePrev;
    CancelSafeQueue queueOwner;

    /**
     * Allocates a request with {@code stackSize} locations; use the target device's
     * {@link DeviceObject#stackSize()}.
     *
     * @throws IllegalArgumentException if stackSize is not in 1..64
     */
    public Irp(int stackSize) {
        if (stackSize < 1 || stackSize > 64) {
            throw new IllegalArgumentException("stack size must be 1..64, was " + stackSize);
        }
        stack = new IoStackLocation[stackSize];
        for (int i = 0; i < stackSize; i++) {
            stack[i] = new IoStackLocation();
        }
        current = stackSize;
    }

    /** Allocates a request deep enough for {@code target}'s whole stack. */
    public static Irp forDevice(DeviceObject target) {
        return new Irp(target.attachedTop().stackSize());
    }

    public int stackSize() {
        return stack.length;
    }

    /** The location of the layer that owns the request now. */
    public IoStackLocation currentLocation() {
        if (current >= stack.length) {
            throw new IllegalStateException("the request has not been sent: it has no current stack location");
        }
        return stack[current];
    }

    /** The location the next lower device will see; the owner fills it before passing down. */
    public IoStackLocation nextLocation() {
        if (current == 0) {
            throw new IllegalStateException(DriverVerifier.report("no more stack locations: the request was allocated with "
                    + stack.length + " location(s), too few for this device stack"));
        }
        return stack[current - 1];
    }

    /** {@code IoCopyCurrentIrpStackLocationToNext}: the lower device sees the same parameters. */
    public IoStackLocation copyCurrentToNext() {
        IoStackLocation next = nextLocation();
        next.copyParametersFrom(currentLocation());
        next.releaseRoutineReference();
        next.completionRoutine = null;
        next.completionContext = null;
        return next;
    }

    /**
     * {@code IoSkipCurrentIrpStackLocation}: the lower device reuses this layer's location, so
     * this layer sets no completion routine and sees nothing of the completion. As in Windows, the
     * layer's remove-lock reference for the request ends here, so this device's removal does not
     * wait for requests it passed on (the lower device's does). Its statistics still count the
     * request as in flight until the completion passes the location the layer gave away, and then
     * with the status the request has there.
     */
    public void skipCurrentLocation() {
        IoStackLocation loc = currentLocation();
        int index = current;
        current++;
        if (loc.removeLockHeld) {
            loc.removeLockHeld = false;
            loc.device.requestPassedOn();
            recordSkip(loc.device, index);
        }
    }

    private void recordSkip(DeviceObject device, int index) {
        if (skippedDevices == null) {
            skippedDevices = new DeviceObject[Math.max(4, stack.length)];
            skippedAt = new int[skippedDevices.length];
        } else if (skipped == skippedDevices.length) {
            skippedDevices = Arrays.copyOf(skippedDevices, skipped * 2);
            skippedAt = Arrays.copyOf(skippedAt, skipped * 2);
        }
        skippedDevices[skipped] = device;
        skippedAt[skipped] = index;
        skipped++;
    }

    /** Counts the request at the devices that skipped a location at or below {@code index}, with the status it has now. */
    private void releaseSkippedUpTo(int index) {
        while (skipped > 0 && skippedAt[skipped - 1] <= index) {
            skipped--;
            DeviceObject device = skippedDevices[skipped];
            skippedDevices[skipped] = null;
            device.passedOnRequestLeft(status);
        }
    }

    /** Sets a completion routine, invoked for every outcome, on the next location. */
    public void setCompletionRoutine(CompletionRoutine routine, Object context) {
        setCompletionRoutine(routine, context, true, true, true);
    }

    /** {@code IoSetCompletionRoutine} on the next location, with the outcomes that invoke it. */
    public void setCompletionRoutine(CompletionRoutine routine, Object context, boolean onSuccess, boolean onError,
            boolean onCancel) {
        IoStackLocation next = nextLocation();
        next.releaseRoutineReference();
        next.completionRoutine = routine;
        next.completionContext = context;
        next.invokeOnSuccess = onSuccess;
        next.invokeOnError = onError;
        next.invokeOnCancel = onCancel;
    }

    /**
     * {@code IoSetCompletionRoutineEx}: as {@link #setCompletionRoutine(CompletionRoutine, Object,
     * boolean, boolean, boolean)}, and the routine holds a reference on {@code device}, the device
     * it belongs to, until it has run (or is replaced, or the request is reused without it having
     * run): that device's removal does not finish, and so its driver does not go away, while the
     * routine may still be called. For a driver that sends a request it allocated itself, where no
     * stack location of the driver's own device holds it. The reference is not a request: the
     * device's statistics do not count it. The routine is called with {@code device} when no
     * layer stands above it.
     *
     * @return SUCCESS, or the status {@code device}'s remove lock refuses with once its removal
     *         began (then nothing is set)
     * @throws IllegalArgumentException if device or routine is null
     */
    public int setCompletionRoutineEx(DeviceObject device, CompletionRoutine routine, Object context, boolean onSuccess,
            boolean onError, boolean onCancel) {
        if (device == null || routine == null) {
            throw new IllegalArgumentException("setCompletionRoutineEx needs the routine's device and a routine");
        }
        IoStackLocation next = nextLocation();
        RemoveLock lock = device.removeLock();
        int admitted = lock.acquireReference();
        if (admitted != NtStatus.SUCCESS) {
            return admitted;
        }
        setCompletionRoutine(routine, context, onSuccess, onError, onCancel);
        next.routineDevice = device;
        next.routineLock = lock;
        return NtStatus.SUCCESS;
    }

    /** {@code IoMarkIrpPending}: the current layer will return {@link NtStatus#PENDING}. */
    public void markPending() {
        currentLocation().pendingReturned = true;
    }

    /** True if some layer below returned pending (valid in completion routines and listeners). */
    public boolean pendingReturned() {
        return pendingReturned;
    }

    public int status() {
        return status;
    }

    public long information() {
        return information;
    }

    /**
     * Changes the status while a completion routine of the owning layer runs (the layer's result
     * replaces the lower one's, as {@code Irp->IoStatus.Status = ...} does in Windows).
     */
    public void setStatus(int newStatus, long newInformation) {
        this.status = newStatus;
        this.information = newInformation;
    }

    /** Completes the request with a status and no information. */
    public void complete(int status) {
        complete(status, 0);
    }

    /**
     * {@code IoCompleteRequest}: records the final status of this layer, then unwinds the stack
     * bottom-up at DISPATCH, running each completion routine, releasing each device's remove lock,
     * and finally notifying the originator. Exactly once per send.
     *
     * @throws IllegalStateException if the request is already completed or was never sent (also
     *                               reported to {@link DriverVerifier})
     */
    public void complete(int finalStatus, long info) {
        if (!STATE.compareAndSet(this, ACTIVE, COMPLETING)) {
            int s = state;
            throw new IllegalStateException(DriverVerifier.report(s == IDLE
                    ? "completing a request that was never sent"
                    : "request completed twice (status " + NtStatus.name(finalStatus) + " after "
                            + NtStatus.name(status) + ")"));
        }
        if (finalStatus == NtStatus.PENDING || finalStatus == NtStatus.MORE_PROCESSING_REQUIRED) {
            DriverVerifier.report("request completed with " + NtStatus.name(finalStatus) + ", which is not a final status");
            finalStatus = NtStatus.INTERNAL_ERROR;
        }
        if (cancelRoutine != null) {
            CANCEL_ROUTINE.setVolatile(this, null);
            DriverVerifier.report("request completed while its cancel routine was still set (clear it first)");
        }
        completeOwned(finalStatus, info);
    }

    /** The rest of {@link #complete}, for a caller that already moved the state to COMPLETING. */
    private void completeOwned(int finalStatus, long info) {
        this.status = finalStatus;
        this.information = info;
        LevelState level = LevelState.get();
        if (level.routineRequest == this) {
            // completed inside the callDriver of this thread's completion routine for this very
            // request (a synchronous retry): the unwind that runs the routine goes on from here
            level.routineRequestCompleted = true;
            return;
        }
        ExecutionLevel previous = level.raise("completion");
        try {
            unwind(level);
        } finally {
            level.lower(previous);
        }
    }

    private void unwind(LevelState level) {
        final IoStackLocation[] locations = stack;
        final int top = locations.length;
        while (current < top) {
            int index = current;
            IoStackLocation loc = locations[index];
            current++;
            if (loc.removeLockHeld) {
                loc.removeLockHeld = false;
                loc.device.requestLeft(status);
            }
            if (skipped > 0) {
                releaseSkippedUpTo(index);
            }
            // SL_PENDING_RETURNED travels up: a layer above sees that some layer below pended.
            // Windows leaves this to each completion routine; the framework does it for all.
            pendingReturned = loc.pendingReturned;
            loc.pendingReturned = false;
            if (pendingReturned && current < top) {
                locations[current].pendingReturned = true;
            }
            CompletionRoutine routine = loc.completionRoutine;
            if (routine == null) {
                continue;
            }
            loc.completionRoutine = null;
            Object context = loc.completionContext;
            loc.completionContext = null;
            RemoveLock routineHold = loc.routineLock;
            DeviceObject routineDevice = loc.routineDevice;
            loc.routineLock = null;
            loc.routineDevice = null;
            if (!invokes(loc)) {
                if (routineHold != null) {
                    routineHold.releaseReference();
                }
                continue;
            }
            DeviceObject upper = current < top ? locations[current].device : routineDevice;
            // While its routine runs the layer above owns the request: a routine that returns
            // MORE_PROCESSING_REQUIRED may hand it to another thread that completes it again
            // before this call returns. A release store suffices: that thread can only reach
            // the request through a hand-off, which orders it after this store.
            STATE.setRelease(this, ACTIVE);
            Irp outerRequest = level.routineRequest;
            boolean outerCompleted = level.routineRequestCompleted;
            level.routineRequest = this;
            level.routineRequestCompleted = false;
            int result;
            try {
                result = routine.onCompletion(upper, this, context);
            } catch (RuntimeException | Error e) {
                DriverVerifier.report("completion routine threw " + e);
                result = CompletionRoutine.CONTINUE_COMPLETION;
            }
            boolean completedAgainHere = level.routineRequestCompleted;
            level.routineRequest = outerRequest;
            level.routineRequestCompleted = outerCompleted;
            checkReturnedAt(level, ExecutionLevel.DISPATCH, "completion routine", "completion");
            if (routineHold != null) {
                routineHold.releaseReference(); // the routine has run: its device may go
            }
            if (completedAgainHere) {
                // the routine re-sent the request and it completed again on this thread: that
                // completion is unwound here, iteratively (its status is already recorded)
                if (result != NtStatus.MORE_PROCESSING_REQUIRED) {
                    DriverVerifier.report("completion routine re-sent the request and returned CONTINUE_COMPLETION;"
                            + " the completion of the re-sent request goes on");
                }
                continue;
            }
            if (result == NtStatus.MORE_PROCESSING_REQUIRED) {
                return;
            }
            // CONTINUE_COMPLETION: nobody else may own the request now; seeing it changed means a
            // driver handed it away and continued the unwind as well (checked, not fenced: the
            // exactly-once CAS stays at the entry of complete())
            if ((int) STATE.getAcquire(this) != ACTIVE) {
                throw new IllegalStateException(DriverVerifier.report(
                        "completion routine returned CONTINUE_COMPLETION but the request was completed or re-sent meanwhile"));
            }
            STATE.setRelease(this, COMPLETING);
        }
        if (skipped > 0) {
            releaseSkippedUpTo(top); // a layer that skipped and then completed the request itself
        }
        // the final completion: the request's life, and its timeout, end here (not at a completion
        // a routine stopped with MORE_PROCESSING_REQUIRED to retry)
        disarmTimer();
        STATE.setRelease(this, COMPLETED);
        IrpCompletionListener l = listener;
        if (l != null) {
            try {
                l.completed(this);
            } catch (RuntimeException | Error e) {
                DriverVerifier.report("completion listener threw " + e);
            }
            checkReturnedAt(level, ExecutionLevel.DISPATCH, "completion listener", "completion");
        }
    }

    private void disarmTimer() {
        Object timer = armedTimer;
        if (timer != null) {
            armedTimer = null;
            ((Timers.Timer) timer).cancel();
        }
    }

    /**
     * Reports a routine that returned at another level than it was called at and puts the level
     * back ({@code span} names the DISPATCH span a restored raise begins).
     */
    private static void checkReturnedAt(LevelState level, ExecutionLevel calledAt, String routine, String span) {
        ExecutionLevel now = level.level;
        if (now != calledAt) {
            DriverVerifier.report(routine + " returned at " + now + " but was called at " + calledAt);
            restoreLevel(level, calledAt, span);
        }
    }

    private static void restoreLevel(LevelState level, ExecutionLevel calledAt, String span) {
        if (calledAt == ExecutionLevel.DISPATCH) {
            level.raise(span);
        } else {
            level.lower(ExecutionLevel.PASSIVE);
        }
    }

    private boolean invokes(IoStackLocation loc) {
        if (status == NtStatus.CANCELLED) {
            return loc.invokeOnCancel;
        }
        return NtStatus.isSuccess(status) ? loc.invokeOnSuccess : loc.invokeOnError;
    }

    /**
     * Passes this request to {@code device} ({@code IoCallDriver}); see
     * {@link DeviceObject#callDriver(Irp)}.
     */
    int callDriver(DeviceObject device) {
        int s = state;
        if (s != IDLE && s != ACTIVE) {
            throw new IllegalStateException(DriverVerifier.report(
                    "request used after completion: sent to " + device.name() + " without reuse()"));
        }
        int needed = device.stackSize();
        if (current < needed) {
            // checked before the device sees it, as IoCallDriver checks CurrentLocation, so that no
            // layer of the lower stack starts work it cannot pass on
            String message = DriverVerifier.report("too few stack locations: " + device.name() + " needs " + needed
                    + ", the request has " + current + " left (allocated with " + stack.length + ")");
            if (s == IDLE) {
                throw new IllegalArgumentException(message); // not sent: nothing changed
            }
            complete(NtStatus.INVALID_PARAMETER); // the layer passing it down fails it
            return NtStatus.INVALID_PARAMETER;
        }
        if (s == IDLE) {
            STATE.setOpaque(this, ACTIVE);
        }
        int index = --current;
        IoStackLocation loc = stack[index];
        loc.device = device;
        MajorFunction major = loc.major;
        if (major == null) {
            DriverVerifier.report("request passed to " + device.name() + " without a major function in its stack location");
            complete(NtStatus.INVALID_DEVICE_REQUEST);
            return NtStatus.INVALID_DEVICE_REQUEST;
        }
        if (major != MajorFunction.PNP) {
            int admitted = device.requestEntered();
            if (admitted != NtStatus.SUCCESS) {
                complete(admitted);
                return admitted;
            }
            loc.removeLockHeld = true;
        }
        LevelState level = LevelState.get();
        ExecutionLevel calledAt = level.level;
        int cancelRoutinesBefore = cancelRoutinesSet;
        try {
            int result = device.driver().dispatch(major).dispatch(device, this);
            checkReturnedAt(level, calledAt, device.name() + ": dispatch of " + major, "dispatch");
            if (result != NtStatus.PENDING && current == index && state == ACTIVE && !loc.pendingReturned) {
                DriverVerifier.report(device.name() + ": dispatch of " + major + " returned " + NtStatus.name(result)
                        + " without completing or passing down the request");
            }
            return result;
        } catch (RuntimeException | Error e) {
            boolean levelChanged = level.level != calledAt;
            if (levelChanged) {
                restoreLevel(level, calledAt, "dispatch");
            }
            DriverVerifier.report(device.name() + ": dispatch of " + major + " threw " + e
                    + (levelChanged ? " (and left the thread at another level)" : ""));
            if (current == index && state == ACTIVE) {
                reclaimAfterThrow(cancelRoutinesBefore);
            }
            return NtStatus.INTERNAL_ERROR;
        }
    }

    /**
     * A dispatch routine threw while its layer still held the request: the framework completes it
     * with INTERNAL_ERROR, so that neither the request nor the remove-lock references of the
     * devices it passed stay behind, even if the routine had marked it pending. If the routine had
     * made it cancellable (queued it), whoever clears the cancel routine owns it, as in the
     * cancel-safe queue: a cancel that got there first completes it instead. If a dequeue got
     * there first (perhaps the throwing routine itself), the exactly-once CAS decides; a driver
     * that completes a request after its dispatch routine threw for it is told so as a second
     * completion.
     */
    private void reclaimAfterThrow(int cancelRoutinesBefore) {
        if (cancelRoutinesSet != cancelRoutinesBefore) {
            if (CANCEL_ROUTINE.getAndSet(this, (CancelRoutine) null) != null) {
                CancelSafeQueue queue = queueOwner;
                if (queue != null) {
                    queue.takeBack(this);
                }
            } else if (cancel) {
                // a cancel sets the flag before it takes the routine: it may own the request now
                return;
            }
        }
        if (STATE.compareAndSet(this, ACTIVE, COMPLETING)) {
            completeOwned(NtStatus.INTERNAL_ERROR, 0);
        }
    }

    /**
     * For {@link IoManager#send}: an originator sends only a request that is not in flight and not
     * completed (reuse it first); reported and thrown before anything about the request changes.
     */
    void checkUnsent(DeviceObject top) {
        int s = state;
        if (s != IDLE) {
            throw new IllegalStateException(DriverVerifier.report(s == COMPLETED
                    ? "request used after completion: sent to " + top.name() + " without reuse()"
                    : "request sent to " + top.name() + " while still in flight"));
        }
    }

    // ---- cancellation ----

    /**
     * {@code IoSetCancelRoutine}: atomically sets (or, with null, clears) the routine that
     * {@link #cancel()} will call, returning the previous one. A driver that dequeues a request
     * clears the routine; a null result then means a cancel is already running and owns the request.
     */
    public CancelRoutine setCancelRoutine(CancelRoutine routine) {
        if (routine != null) {
            cancelDevice = current < stack.length ? stack[current].device : null;
            cancelRoutinesSet++;
        }
        return (CancelRoutine) CANCEL_ROUTINE.getAndSet(this, routine);
    }

    /** True once {@link #cancel()} was called for this send. */
    public boolean isCancelled() {
        return cancel;
    }

    /** The status a cancel routine completes the request with: CANCELLED, or IO_TIMEOUT for a timeout. */
    public int cancelStatus() {
        return cancelStatus;
    }

    /** {@code IoCancelIrp}; returns true if a cancel routine was called. Callable from any thread. */
    public boolean cancel() {
        return cancel(NtStatus.CANCELLED, -1);
    }

    /** Cancels the send with this generation only (timers use it); -1 means the current one. */
    boolean cancel(int withStatus, long onlyGeneration) {
        CancelRoutine routine;
        DeviceObject device;
        lockCancel();
        try {
            if ((onlyGeneration >= 0 && onlyGeneration != generation) || state == COMPLETED) {
                return false;
            }
            // The status belongs to the cancel that owns the request (takes its cancel routine), or,
            // while nobody can own it, to the first cancel: a later one that finds no routine (a
            // timeout firing while a caller's cancel completes the request) changes nothing.
            boolean first = !cancel;
            if (first) {
                cancelStatus = withStatus; // before the flag: whoever sees the flag sees its status
            }
            cancel = true; // before taking the routine: a routine set after this sees the flag
            routine = (CancelRoutine) CANCEL_ROUTINE.getAndSet(this, null);
            if (routine != null && !first) {
                cancelStatus = withStatus; // only our routine reads it now
            }
            device = cancelDevice;
        } finally {
            CANCEL_LOCK.setRelease(this, 0);
        }
        if (routine == null) {
            return false;
        }
        LevelState level = LevelState.get();
        ExecutionLevel previous = level.raise("cancel routine");
        try {
            routine.cancel(device, this);
        } catch (RuntimeException | Error e) {
            DriverVerifier.report("cancel routine threw " + e);
        } finally {
            checkReturnedAt(level, ExecutionLevel.DISPATCH, "cancel routine", "cancel routine");
            level.lower(previous);
        }
        return true;
    }

    private void lockCancel() {
        while (!CANCEL_LOCK.compareAndSet(this, 0, 1)) {
            Thread.onSpinWait();
        }
    }

    long generation() {
        return generation;
    }

    // ---- originator ----

    /** The originator's notification; set before sending. */
    public Irp setCompletionListener(IrpCompletionListener listener) {
        this.listener = listener;
        return this;
    }

    public RequestorMode requestorMode() {
        return requestorMode;
    }

    public Irp setRequestorMode(RequestorMode mode) {
        this.requestorMode = mode;
        return this;
    }

    /** A per-request timeout armed by {@link IoManager#send}; 0 for none. */
    public Irp setTimeoutNanos(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("timeout must not be negative: " + nanos);
        }
        this.timeoutNanos = nanos;
        return this;
    }

    public long timeoutNanos() {
        return timeoutNanos;
    }

    /** A slot for the layer that owns the request (Windows' Tail.Overlay.DriverContext). */
    public Object driverContext() {
        return driverContext;
    }

    public void setDriverContext(Object context) {
        this.driverContext = context;
    }

    /** True once the request has completed all the way up (and until {@link #reuse()}). */
    public boolean isCompleted() {
        return state == COMPLETED;
    }

    /** True while the request has been sent and not yet completed. */
    public boolean isActive() {
        int s = state;
        return s == ACTIVE || s == COMPLETING;
    }

    /** {@link #reuse(int)} with {@link NtStatus#SUCCESS}. */
    public Irp reuse() {
        return reuse(NtStatus.SUCCESS);
    }

    /**
     * {@code IoReuseIrp}: readies the request for another send with {@code status} as its status,
     * keeping its listener, requestor mode and timeout, and ends the previous send's timer. The
     * request may be completed, never sent, or kept by the originator's own completion routine
     * (one set before the first send, which returned MORE_PROCESSING_REQUIRED: the request never
     * reached the listener and its timer is still armed; reuse may be called from that routine).
     * Allocates nothing.
     *
     * @throws IllegalStateException if a layer of a stack still holds the request
     */
    public Irp reuse(int status) {
        int s = state;
        boolean keptByOriginator = s == ACTIVE && current == stack.length;
        if ((s == ACTIVE && !keptByOriginator) || s == COMPLETING) {
            throw new IllegalStateException(DriverVerifier.report("reuse() of a request that is still in flight"));
        }
        disarmTimer();
        // Under the cancel lock, so a late cancel of the previous send either finishes before the
        // generation moves on or sees the new generation and does nothing. Release stores inside
        // suffice: the unlock publishes them to the next canceller, and the owner sends next.
        lockCancel();
        try {
            generation++;
            CANCEL.setRelease(this, false);
            CANCEL_STATUS.setRelease(this, NtStatus.CANCELLED);
            CANCEL_ROUTINE.setRelease(this, (CancelRoutine) null);
            cancelDevice = null;
        } finally {
            CANCEL_LOCK.setRelease(this, 0);
        }
        for (IoStackLocation loc : stack) {
            loc.clear();
        }
        if (skipped > 0) {
            releaseSkippedUpTo(stack.length);
        }
        current = stack.length;
        this.status = status;
        information = 0;
        pendingReturned = false;
        driverContext = null;
        STATE.setRelease(this, IDLE);
        return this;
    }

    @Override
    public String toString() {
        // any thread may print a request while another completes it (a test's failure message,
        // a trace): every field is read once, so a location index that moves past the stack
        // between a check and its use cannot throw (seen in CommandInterfaceTest)
        int at = current;
        DeviceObject device = at >= 0 && at < stack.length ? stack[at].device : null;
        String where = device != null ? device.name() : "originator";
        String[] names = {"IDLE", "ACTIVE", "COMPLETING", "COMPLETED"};
        int s = state;
        return "Irp[" + (s >= 0 && s < names.length ? names[s] : String.valueOf(s)) + " at " + where + ", status "
                + NtStatus.name(status) + ", info " + information + "]";
    }
}
