package org.irpverbs.hca.core.internal;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.irpverbs.hca.core.ContextMemory;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.hca.core.HcaStatistics;
import org.irpverbs.hca.core.IcmUsage;
import org.irpverbs.hca.core.ResourceUsage;
import org.irpverbs.irp.CancelSafeQueue;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.FileObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.DataPath;
import org.irpverbs.softhca.HardwareEventHandler;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.softhca.SoftHcaHardware;
import org.irpverbs.softhca.cmdif.CommandInterface;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.AsyncEventType;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.VerbsHandle;
import org.irpverbs.verbs.VerbsSpeedPath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extension of an HCA function device: everything the driver knows about one HCA.
 * <pre>
 *   verbs client ─ INTERNAL_DEVICE_CONTROL (VerbsRequest) ─► [FDO: this]  validates, allocates numbers,
 *                                                             │  sends the verb's request down as each
 *                                                             │  command in turn (completion routine:
 *                                                             │  MORE_PROCESSING_REQUIRED, re-send)
 *                                                        [command interface]  bound, queue, tokens
 *                                                        [PDO: soft HCA hardware]  firmware, data path
 *   speed path (QUERY_INTERFACE) ─ direct calls ─────────────────────────────► hardware data path
 *   hardware events ─ DISPATCH ─► completion event: REQ_NOTIFY_CQ requests complete;
 *                                  async event: GET_ASYNC_EVENT requests complete (or the ring keeps it)
 * </pre>
 * Life: {@link State}; START and REMOVE are command chains that complete a stage, never a waiting
 * thread. Thread-safe: the state is volatile, the tables are lock-free or spin-locked, and every
 * object has its own {@link ObjectLife}.
 */
public final class FunctionDevice implements HcaDevice {
    private static final Logger LOG = LoggerFactory.getLogger(FunctionDevice.class);
    /** The one event queue: command, completion and asynchronous events all go to it. */
    static final int EQN = 0;

    /** Events after the driver left go nowhere (the next driver sets its own handler at START). */
    private static final HardwareEventHandler IGNORE = new HardwareEventHandler() {
        @Override
        public void completionEvent(int cqn) {
        }

        @Override
        public void asyncEvent(AsyncEvent event) {
        }
    };

    private final IoManager io;
    private final String driverName;
    private final DeviceObject pdo;
    private final ContextMemory memory;
    private final CommandInterface commandInterface;
    private final CommandPath commandPath;
    private final HcaSpeedPath speedPath = new HcaSpeedPath(this);
    private final HcaVerbsInterface verbsInterface = new HcaVerbsInterface(this);
    private final EventHandler events = new EventHandler();
    private final AtomicLong completionEvents = new AtomicLong();

    private volatile DeviceObject fdo;
    private volatile AsyncEvents async;
    private volatile McastVerbs multicast;
    private volatile State state = State.ADDED;
    private volatile SoftHcaHardware hardware;
    private volatile DataPath dataPath;
    private volatile HcaConfig config;
    private volatile Command.FirmwareInfo firmware;
    private volatile Command.DeviceLimits limits;
    private volatile Command.Profile profile;
    private volatile Tables tables;
    private volatile String lastError;

    // how far start-up got, so that removal closes exactly what was opened
    volatile boolean firmwareStarted;
    volatile boolean hcaInitialized;
    volatile boolean eventQueueUp;
    private final AtomicInteger portsUp = new AtomicInteger();

    FunctionDevice(IoManager io, String driverName, DeviceObject pdo, ContextMemory memory,
            CommandInterface commandInterface, CommandPath commandPath) {
        this.io = io;
        this.driverName = driverName;
        this.pdo = pdo;
        this.memory = memory;
        this.commandInterface = commandInterface;
        this.commandPath = commandPath;
    }

    /** Called by AddDevice once the function device exists (its queues belong to it). */
    void bind(DeviceObject functionDevice) {
        this.fdo = functionDevice;
        this.async = new AsyncEvents(functionDevice);
        this.multicast = new McastVerbs(this);
    }

    // ---- HcaDevice ----

    @Override
    public String name() {
        HcaConfig c = config;
        return c != null ? c.name() : pdo.name();
    }

    @Override
    public DeviceObject device() {
        return fdo;
    }

    @Override
    public State state() {
        return state;
    }

    @Override
    public String memoryMode() {
        return memory.mode();
    }

    @Override
    public HcaConfig config() {
        return config;
    }

    @Override
    public Command.FirmwareInfo firmware() {
        return firmware;
    }

    @Override
    public HcaStatistics statistics() {
        Tables t = tables;
        Map<String, ResourceUsage> resources = t != null ? t.usage() : new LinkedHashMap<>();
        Map<IcmTable, IcmUsage> icm = new EnumMap<>(IcmTable.class);
        icm.putAll(memory.usage());
        AsyncEvents a = async;
        return new HcaStatistics(name(), state, memory.mode(), commandInterface.statistics(), resources, icm,
                t != null ? t.pendingNotifications() : 0, a != null ? a.waiting() : 0, a != null ? a.queued() : 0,
                a != null ? a.dropped() : 0, completionEvents.get(), lastError);
    }

    /** One line for {@code irp:stats}. */
    @Override
    public String toString() {
        Tables t = tables;
        return name() + " " + state + ", " + memory.mode() + (t != null ? ", " + t.usage() : "");
    }

    // ---- accessors for the verbs and sequences ----

    IoManager io() {
        return io;
    }

    String driverName() {
        return driverName;
    }

    DeviceObject fdo() {
        return fdo;
    }

    ContextMemory memory() {
        return memory;
    }

    CommandInterface commandInterface() {
        return commandInterface;
    }

    CommandPath commandPath() {
        return commandPath;
    }

    Tables tables() {
        return tables;
    }

    SoftHcaHardware hardware() {
        return hardware;
    }

    DataPath dataPath() {
        return dataPath;
    }

    Command.DeviceLimits limits() {
        return limits;
    }

    Command.Profile profile() {
        return profile;
    }

    AsyncEvents async() {
        return async;
    }

    McastVerbs multicast() {
        return multicast;
    }

    boolean isStarted() {
        return state == State.STARTED;
    }

    VerbsSpeedPath speedPath() {
        return speedPath;
    }

    HcaVerbsInterface verbsInterface() {
        return verbsInterface;
    }

    // ---- handle checks ----

    /**
     * Why {@code handle} cannot be used by this request: another HCA's, destroyed, another file
     * object's, or not what it claims to be; null if it can.
     */
    String invalid(VerbsHandle handle, String what, FileObject file, Class<?> stateType) {
        if (handle.hca() != fdo) {
            return what + " " + handle.number() + " belongs to " + (handle.hca() == null ? "no HCA" : handle.hca().name())
                    + ", not to " + (fdo == null ? name() : fdo.name());
        }
        if (handle.isDestroyed()) {
            return what + " " + handle.number() + " is destroyed";
        }
        if (file != null && handle.owner() != file) {
            return what + " " + handle.number() + " was not created through this handle";
        }
        if (!stateType.isInstance(handle.driverState())) {
            return what + " " + handle.number() + " was not created by this driver";
        }
        return null;
    }

    // ---- START ----

    /**
     * START: finds the hardware (QUERY_INTERFACE to the physical device), then the start-up command
     * chain. The stage completes from the last command's completion; nothing waits.
     */
    CompletionStage<Integer> start() {
        CompletableFuture<Integer> result = new CompletableFuture<>();
        state = State.STARTING;
        io.queryInterface(pdo, SoftHcaHardware.class)
                .onSuccess(hw -> commandPath.defer(() -> new StartSequence(this, hw, result).run()))
                .onFailure(failure -> startFailed(result, NtStatus.NO_SUCH_DEVICE,
                        pdo.name() + " offers no soft HCA hardware: " + failure.getMessage()));
        return result;
    }

    /** The hardware is found: remember it and take its events. */
    void attachHardware(SoftHcaHardware hw) {
        this.hardware = hw;
        this.config = hw.config();
        this.dataPath = hw.dataPath();
        hw.setEventHandler(events);
        commandInterface.bind(hw.firmware());
    }

    void firmwareInfo(Command.FirmwareInfo info) {
        this.firmware = info;
        commandInterface.setMaxOutstanding(Math.min(256, 1 << Math.min(8, info.logMaxOutstanding())));
    }

    void deviceLimits(Command.DeviceLimits deviceLimits) {
        this.limits = deviceLimits;
    }

    /** INIT_HCA succeeded with this profile: the tables are sized by it. */
    void initialized(Command.Profile initProfile) {
        this.profile = initProfile;
        this.tables = new Tables(fdo, initProfile, limits);
        this.hcaInitialized = true;
    }

    void portUp(int port) {
        portsUp.accumulateAndGet(1 << port, (a, b) -> a | b);
    }

    int portsUp() {
        return portsUp.get();
    }

    void started(CompletableFuture<Integer> result) {
        if (state == State.STARTING) {
            state = State.STARTED;
            result.complete(NtStatus.SUCCESS);
        } else {
            // a catastrophic error came during start-up: the PnP manager removes the stack
            result.complete(NtStatus.DEVICE_REMOVED);
        }
    }

    void startFailed(CompletableFuture<Integer> result, int status, String why) {
        state = State.START_FAILED;
        problem(why);
        result.complete(status);
    }

    /** Records a problem for the shell and logs it at PASSIVE (logging may block on the console). */
    void problem(String why) {
        lastError = why;
        String who = name();
        io.queueWorkItem(() -> LOG.error("{}: {}", who, why));
    }

    // ---- SURPRISE_REMOVAL and REMOVE ----

    /** The hardware is gone: the framework already fails new requests and flushed our queues. */
    void surpriseRemoved() {
        state = State.SURPRISE_REMOVED;
    }

    /**
     * REMOVE, after every request in flight finished: CLOSE_IB for each port brought up, HW2SW_EQ,
     * CLOSE_HCA and the mode's shutdown commands, best effort (each command has the command
     * interface's timeout; a failure is recorded and the next command still goes). Skipped when
     * the hardware is gone.
     */
    CompletionStage<Integer> remove() {
        State before = state;
        state = State.REMOVING;
        CompletableFuture<Integer> done = new CompletableFuture<>();
        SoftHcaHardware hw = hardware;
        if (hw == null || before == State.SURPRISE_REMOVED || hw.isFailed() || !firmwareStarted) {
            removed();
            done.complete(NtStatus.SUCCESS);
            return done;
        }
        commandPath.defer(() -> new StopSequence(this, () -> {
            removed();
            done.complete(NtStatus.SUCCESS);
        }).run());
        return done;
    }

    private void removed() {
        state = State.REMOVED;
        memory.reset();
        SoftHcaHardware hw = hardware;
        if (hw != null) {
            hw.setEventHandler(IGNORE);
        }
    }

    // ---- hardware events (DISPATCH, in order per HCA) ----

    private final class EventHandler implements HardwareEventHandler {
        /** An armed CQ got a completion: every REQ_NOTIFY_CQ waiting on it completes. */
        @Override
        public void completionEvent(int cqn) {
            completionEvents.incrementAndGet();
            Tables t = tables;
            if (t == null) {
                return;
            }
            CancelSafeQueue queue = t.existingNotifyQueue(cqn);
            if (queue != null) {
                queue.flush(NtStatus.SUCCESS);
            }
        }

        @Override
        public void asyncEvent(AsyncEvent event) {
            if (event.type() == AsyncEventType.CATASTROPHIC_ERROR) {
                catastrophicError(event);
                return;
            }
            if (event.type() == AsyncEventType.QP_FATAL) {
                Tables t = tables;
                if (t != null && event.number() >= 0 && event.number() < t.qpByNumber.length()) {
                    QpContext qp = t.qpByNumber.get(event.number());
                    if (qp != null && qp.handle != null) {
                        qp.handle.setState(QpState.ERR);
                    }
                }
            }
            AsyncEvents a = async;
            if (a != null && (state == State.STARTED || state == State.STARTING)) {
                a.raise(event);
            }
        }
    }

    /**
     * The hardware stopped: waiting GET_ASYNC_EVENT requests learn why, then the stack is
     * surprise-removed, which fails everything else in flight with DEVICE_REMOVED.
     */
    private void catastrophicError(AsyncEvent event) {
        State s = state;
        if (s != State.STARTED && s != State.STARTING) {
            return;
        }
        String why = "catastrophic error on " + name() + (event.message() == null ? "" : ": " + event.message());
        problem(why);
        AsyncEvents a = async;
        if (a != null) {
            a.failWaiting(NtStatus.DEVICE_REMOVED, why);
        }
        io.surpriseRemove(fdo);
    }
}
