package org.irpverbs.softhca.engine;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.CommandCompletionHandler;
import org.irpverbs.softhca.CommandStatus;
import org.irpverbs.softhca.DataPath;
import org.irpverbs.softhca.Firmware;
import org.irpverbs.softhca.HardwareEventHandler;
import org.irpverbs.softhca.HardwareStatistics;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.softhca.Opcode;
import org.irpverbs.softhca.SoftHcaHardware;
import org.irpverbs.softhca.fabric.Fabric;
import org.irpverbs.softhca.fabric.FabricPort;
import org.irpverbs.softhca.fabric.Frame;
import org.irpverbs.softhca.fabric.FramePool;
import org.irpverbs.softhca.fabric.FrameReceiver;
import org.irpverbs.softhca.wire.Lrh;
import org.irpverbs.softhca.wire.PacketCodec;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.AsyncEventType;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.ScatterGatherList;
import org.irpverbs.verbs.SendFlags;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.WorkCompletion;
import org.irpverbs.verbs.WrOpcode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One simulated HCA: the hardware a bus enumerates and a driver runs through
 * {@link SoftHcaHardware}. Create it with {@link SoftHcas}; {@link #close()} it when the hardware
 * is unplugged.
 *
 * <p><b>Firmware</b> ({@link #firmware()}): a posted command is counted outstanding (at most
 * {@code 1 << config.logMaxOutstanding}); the engine thread applies it when it picks it up (in
 * posting order, serialised with packet processing), and it completes through the
 * {@link CommandCompletionHandler} at DISPATCH once its latency class's delay has elapsed on an
 * {@link IoManager#schedule} timer and its effect has been applied, whichever comes last (firmware
 * that is busy for the command's latency and reports at the end; the driver cannot see the effect
 * before the completion, so when inside that time it happens does not matter to it). The
 * firmware state machine: QUERY_FW is always allowed; Tavor-mode start is SYS_EN, mem-free start
 * is MAP_FA then RUN_FW; anything else before the firmware runs fails with BAD_SYS_STATE; contexts
 * need INIT_HCA. Mem-free mode checks ICM: SW2HW_MPT (MPT chunk), SW2HW_CQ (CQC chunk), RST2INIT
 * (QPC chunk) and WRITE_MTT (the MTT chunks of the range) fail with ICM_NOT_MAPPED if the chunk
 * holding the index is not mapped, and UNMAP_ICM of a chunk holding live contexts (or MTT entries
 * a live MPT uses) fails with BAD_RES_STATE. An MPT key is {@code index << 8 | tag}: SW2HW_MPT
 * checks that the key's index is the entry's, and every access checks the whole key, tag included.
 *
 * <p><b>Data path</b> ({@link #dataPath()}): posting copies the WQE into the QP's bounded queue
 * and rings a doorbell — an MMIO doorbell after a Tavor-mode INIT_HCA, a doorbell record (the
 * per-QP producer counter the engine reads) after a mem-free one; a mem-free receive only updates
 * its record, as Arbel's does. INLINE data is copied at post time from the host memory the SGE
 * names: the model's "CPU address space" is the registered regions of the QP's PD, found by the
 * SGE's key if it covers the range, else by address; no rights are checked, as for a CPU copy.
 *
 * <p><b>Engine</b>: one thread per HCA (see {@link EngineThread}) does all hardware work: command
 * effects, packet processing, RC and UD transport, memory protection checks on every access.
 * Completion and asynchronous events are delivered at DISPATCH through one ordered event queue
 * ({@link EventQueue}), never on the engine thread.
 *
 * <p>Thread-safe; no public method blocks.
 */
public final class SoftHca implements SoftHcaHardware, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SoftHca.class);

    /** Firmware versions QUERY_FW reports, per model. */
    static final int[][] FW_VERSIONS = {{3, 5, 0}, {5, 1, 0}, {1, 2, 0}};

    /** A command's completion on its way to the driver. */
    record CommandDone(int token, CommandStatus status, Object output, long epoch) {
    }

    /** An armed CQ's completion event. */
    record CompletionEvent(int cqn) {
    }

    final HcaConfig config;
    final EngineTuning tuning;
    final IoManager io;
    final Fabric fabric;
    final EngineThread engine;
    final EventQueue events;
    final FramePool frames;
    volatile DeviceState state;
    volatile boolean failed;
    private volatile boolean closed;
    /** High 32 bits: command epoch (bumped by reset and catastrophic error); low 32: commands outstanding. */
    private final AtomicLong outstanding = new AtomicLong();
    private volatile CommandCompletionHandler commandHandler;
    /** True while the firmware is stalled ({@link #stallFirmware}). */
    private volatile boolean firmwareStalled;
    /** Commands whose latency elapsed during a stall; {@link #resumeFirmware} finishes them. */
    private final ConcurrentLinkedQueue<PostedCommand> stalledCommands = new ConcurrentLinkedQueue<>();
    private volatile HardwareEventHandler eventHandler;
    private final AtomicLongArray commandCounts = new AtomicLongArray(Opcode.values().length);
    final LongAdder doorbells = new LongAdder();
    final AtomicLong packetsSent = new AtomicLong();
    final AtomicLong packetsReceived = new AtomicLong();
    final AtomicLongArray transportCounters = new AtomicLongArray(Counter.values().length);
    final CommandProcessor commands;
    final Transport transport;
    private final Firmware firmware = new Hcr();
    private final DataPath dataPath = new DataPathImpl();

    /** Indexes of {@link #transportCounters}, in {@link TransportStatistics} order. */
    enum Counter {
        RETRANSMIT_TIMEOUTS, SEQ_NAKS_SENT, SEQ_NAKS_RECEIVED, RNR_NAKS_SENT, RNR_NAKS_RECEIVED, DUPLICATES,
        PKEY_VIOLATIONS, QKEY_VIOLATIONS, MALFORMED, INBOX_DROPS, NO_QP_DROPS, UD_NO_RECEIVE, REMOTE_ACCESS_ERRORS,
        CQ_OVERRUNS
    }

    SoftHca(HcaConfig config, Fabric fabric, IoManager io, EngineTuning tuning) {
        this.config = config;
        this.fabric = fabric;
        this.io = io;
        this.tuning = tuning;
        this.frames = new FramePool(config.mtu().bytes() + PacketCodec.MAX_HEADER_BYTES + 8);
        this.state = new DeviceState(0, config);
        this.events = new EventQueue(io, this::dispatch);
        this.commands = new CommandProcessor(this);
        this.transport = new Transport(this);
        this.engine = new EngineThread("softhca-" + config.name() + "-engine", new EngineThread.Hardware() {
            @Override
            public void onFrame(Frame frame) {
                transport.onFrame(frame);
            }

            @Override
            public void afterFrames() {
                transport.afterFrames();
            }

            @Override
            public void serviceQp(QpContext qp) {
                transport.serviceQp(qp);
            }

            @Override
            public void flush() {
                transport.flush();
            }

            @Override
            public void bug(String what, RuntimeException e) {
                LOG.error("{}: {} failed", config.name(), what, e);
                DriverVerifier.report("soft HCA " + config.name() + ": " + what + " threw " + e);
            }
        }, tuning.busyPollMicros());
        engine.start();
    }

    // ---- SoftHcaHardware ----

    @Override
    public HcaConfig config() {
        return config;
    }

    @Override
    public Firmware firmware() {
        return firmware;
    }

    @Override
    public DataPath dataPath() {
        return dataPath;
    }

    @Override
    public void setEventHandler(HardwareEventHandler handler) {
        this.eventHandler = handler;
    }

    @Override
    public void reset() {
        DeviceState old = state;
        old.dead = true;
        bumpCommandEpoch();
        state = new DeviceState(old.epoch + 1, config);
        failed = false;
        detachPorts(old);
        // a command the engine is executing right now may still attach a port to the old state
        engine.submit(() -> detachPorts(old));
        LOG.debug("{}: reset", config.name());
    }

    @Override
    public void injectCatastrophicError() {
        if (failed) {
            return;
        }
        failed = true;
        bumpCommandEpoch();
        DeviceState s = state;
        detachPorts(s);
        engine.submit(() -> detachPorts(s));
        events.post(new AsyncEvent(AsyncEventType.CATASTROPHIC_ERROR, 0, 0,
                config.name() + ": catastrophic error: the HCA stopped"));
    }

    @Override
    public boolean isFailed() {
        return failed;
    }

    @Override
    public HardwareStatistics statistics() {
        Map<Opcode, Long> byOpcode = new EnumMap<>(Opcode.class);
        for (Opcode op : Opcode.values()) {
            long n = commandCounts.get(op.ordinal());
            if (n > 0) {
                byOpcode.put(op, n);
            }
        }
        Map<IcmTable, Integer> icm = new EnumMap<>(IcmTable.class);
        DeviceState s = state;
        for (IcmTable t : IcmTable.values()) {
            icm.put(t, s.icmChunksMapped.get(t.ordinal()));
        }
        return new HardwareStatistics(byOpcode, icm, doorbells.sum(), packetsSent.get(), packetsReceived.get());
    }

    /** Retry, NAK and drop counters of the transport. */
    public TransportStatistics transportStatistics() {
        AtomicLongArray c = transportCounters;
        return new TransportStatistics(c.get(0), c.get(1), c.get(2), c.get(3), c.get(4), c.get(5), c.get(6), c.get(7),
                c.get(8), c.get(9), c.get(10), c.get(11), c.get(12), c.get(13), engine.busyPollPasses());
    }

    /**
     * Sets an entry of a port's P_Key table (what a subnet manager's SubnSet(P_KeyTable) does; entry
     * 0 is 0xFFFF, the default full-membership key, until changed). Lasts until the next reset.
     *
     * @throws IllegalArgumentException for a bad port, index (0..63) or key
     */
    public void setPKey(int port, int index, int pkey) {
        HcaPort p = state.port(port);
        if (p == null || index < 0 || index >= HcaPort.PKEY_TABLE_SIZE || (pkey & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("port must be 1.." + config.ports() + ", index 0.."
                    + (HcaPort.PKEY_TABLE_SIZE - 1) + " and the P_Key 16 bits");
        }
        p.pkeys.set(index, pkey);
    }

    /**
     * Stalls the firmware, as firmware busy with a long command does: commands are still accepted
     * (up to the bound) and take effect, but none reports completion until {@link #resumeFirmware}.
     * A fault injection for tests that need commands held in flight whatever the machine's load
     * (e.g. a catastrophic error with the firmware executing commands); a reset or catastrophic
     * error during the stall still makes the held commands never complete. Idempotent.
     */
    public void stallFirmware() {
        firmwareStalled = true;
    }

    /**
     * Ends a {@link #stallFirmware stall}: every command whose latency elapsed during it reports now
     * (posted to the event queue, delivered at DISPATCH as always), the others when their latency
     * ends. Non-blocking; idempotent.
     */
    public void resumeFirmware() {
        firmwareStalled = false;
        PostedCommand held;
        while ((held = stalledCommands.poll()) != null) {
            held.busyTimeOver();
        }
    }

    /**
     * How many commands a {@link #stallFirmware stall} holds finished but unreported: a test's
     * deterministic way to know that what it started has reached the firmware.
     */
    public int stalledCommands() {
        return stalledCommands.size();
    }

    /** The fabric port behind a port number while the port is up (INIT_IB), else null. */
    public FabricPort fabricPort(int port) {
        HcaPort p = state.port(port);
        return p == null ? null : p.fabricPort;
    }

    /** Resets the hardware and stops its engine thread: the HCA is unplugged. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        reset();
        closed = true;
        engine.submit(engine::stop);
    }

    @Override
    public String toString() {
        return "SoftHca[" + config.name() + " " + config.model() + "]";
    }

    // ---- internals shared with the engine ----

    void count(Counter c) {
        transportCounters.incrementAndGet(c.ordinal());
    }

    void raise(AsyncEvent e) {
        events.post(e);
    }

    void raiseCompletionEvent(int cqn) {
        events.post(new CompletionEvent(cqn));
    }

    /** The receiver the fabric calls for packets to {@code port} of device state {@code s}. */
    FrameReceiver receiverFor(DeviceState s, int port) {
        return new FrameReceiver() {
            @Override
            public void receive(FabricPort fp, Frame frame) {
                if (s != state || s.dead || failed) {
                    frame.release();
                    return;
                }
                if (engine.inboxSize() >= tuning.inboxFrames()) {
                    count(Counter.INBOX_DROPS);
                    frame.release();
                    return;
                }
                frame.setTag(port);
                engine.receive(frame);
            }

            @Override
            public boolean acceptsSegmentRuns() {
                return true; // Transport.receiveRun
            }

            @Override
            public void receiveBurst(FabricPort fp, Frame[] frames, int from, int to) {
                if (s != state || s.dead || failed || engine.inboxSize() + (to - from) > tuning.inboxFrames()) {
                    for (int i = from; i < to; i++) {
                        receive(fp, frames[i]); // each is dropped and counted as receive() would
                    }
                    return;
                }
                for (int i = from; i < to; i++) {
                    frames[i].setTag(port);
                }
                engine.receiveAll(frames, from, to);
            }

            @Override
            public void linkStateChanged(FabricPort fp, boolean up) {
                engine.submit(() -> {
                    HcaPort p = s.port(port);
                    if (s == state && !s.dead && !failed && p != null && p.fabricPort == fp) {
                        raise(new AsyncEvent(up ? AsyncEventType.PORT_ACTIVE : AsyncEventType.PORT_DOWN, port, 0,
                                config.name() + " port " + port + " link " + (up ? "up" : "down")));
                    }
                });
            }
        };
    }

    private static void detachPorts(DeviceState s) {
        for (HcaPort p : s.ports) {
            FabricPort fp = p.fabricPort;
            if (fp != null) {
                fp.detach();
            }
        }
    }

    private void bumpCommandEpoch() {
        long cur;
        do {
            cur = outstanding.get();
        } while (!outstanding.compareAndSet(cur, ((cur >>> 32) + 1) << 32));
    }

    private long latency(Opcode op) {
        return switch (op.latencyClass()) {
            case A -> config.classANanos();
            case B -> config.classBNanos();
            case C -> config.classCNanos();
        };
    }

    /**
     * One posted command on its way through the firmware. It completes when two things have
     * happened, in either order: the engine applied it ({@link #apply}) and its latency elapsed
     * ({@link #latencyElapsed}, the timer routine). Whichever comes second posts the completion, so
     * the latency is not lengthened by a hop to the engine thread after the timer fires.
     */
    private final class PostedCommand {
        private final Command command;
        private final int token;
        private final long epoch;
        private final AtomicInteger toGo = new AtomicInteger(2);
        // written by the engine thread before its decrement of toGo, read after the last decrement
        private CommandStatus status;
        private Object output;
        private List<AsyncEvent> eventsAfter = List.of();

        PostedCommand(Command command, int token, long epoch) {
            this.command = command;
            this.token = token;
            this.epoch = epoch;
        }

        /** On the engine thread: the command's effect. */
        void apply() {
            if ((outstanding.get() >>> 32) != epoch || failed) {
                return; // reset or failed since it was posted: it never completes
            }
            try {
                status = commands.execute(state, command);
                output = commands.takeOutput();
            } catch (RuntimeException e) {
                LOG.error("{}: {} failed", config.name(), command.opcode(), e);
                status = CommandStatus.INTERNAL_ERR;
            }
            if (!commands.eventsAfter().isEmpty()) {
                eventsAfter = List.copyOf(commands.eventsAfter());
                commands.eventsAfter().clear();
            }
            commandCounts.incrementAndGet(command.opcode().ordinal());
            if (toGo.decrementAndGet() == 0) {
                complete();
            }
        }

        /** The timer routine, at DISPATCH on the I/O manager's timer thread. */
        void latencyElapsed() {
            if (firmwareStalled) {
                stalledCommands.add(this);
                // a resume that drained the queue before this add has not seen it: take it back
                if (firmwareStalled || !stalledCommands.remove(this)) {
                    return; // resumeFirmware finishes it
                }
            }
            busyTimeOver();
        }

        /** The firmware has worked on it for its latency (and any stall): it may report. */
        void busyTimeOver() {
            if (toGo.decrementAndGet() == 0) {
                complete();
            }
        }

        private void complete() {
            events.post(new CommandDone(token, status, output, epoch));
            for (AsyncEvent e : eventsAfter) {
                events.post(e);
            }
        }
    }

    /** Delivers one event at DISPATCH (the event queue's DPC). */
    private void dispatch(Object e) {
        try {
            if (e instanceof CommandDone d) {
                long cur;
                do {
                    cur = outstanding.get();
                    if ((cur >>> 32) != d.epoch() || (int) cur == 0) {
                        return; // stale: reset or failed after it ran
                    }
                } while (!outstanding.compareAndSet(cur, cur - 1));
                CommandCompletionHandler h = commandHandler;
                if (h != null) {
                    h.commandCompleted(d.token(), d.status(), d.output());
                }
            } else if (e instanceof CompletionEvent c) {
                HardwareEventHandler h = eventHandler;
                if (h != null && !failed) {
                    h.completionEvent(c.cqn());
                }
            } else if (e instanceof AsyncEvent a) {
                HardwareEventHandler h = eventHandler;
                if (h != null) {
                    h.asyncEvent(a);
                }
            }
        } catch (RuntimeException ex) {
            LOG.error("{}: event handler threw for {}", config.name(), e, ex);
            DriverVerifier.report("soft HCA " + config.name() + ": event handler threw " + ex);
        }
    }

    // ---- the HCR ----

    private final class Hcr implements Firmware {
        @Override
        public boolean post(Command command, int token) {
            if (command == null) {
                throw new IllegalArgumentException("command is required");
            }
            if (failed || closed) {
                return false;
            }
            int max = config.maxOutstanding();
            long cur;
            do {
                cur = outstanding.get();
                if ((int) cur >= max) {
                    return false;
                }
            } while (!outstanding.compareAndSet(cur, cur + 1));
            long epoch = cur >>> 32;
            PostedCommand posted = new PostedCommand(command, token, epoch);
            io.schedule(latency(command.opcode()), posted::latencyElapsed);
            engine.submit(posted::apply);
            return true;
        }

        @Override
        public void setCompletionHandler(CommandCompletionHandler handler) {
            commandHandler = handler;
        }

        @Override
        public int maxOutstanding() {
            return config.maxOutstanding();
        }

        @Override
        public int outstanding() {
            return (int) outstanding.get();
        }
    }

    // ---- the data path ----

    private final class DataPathImpl implements DataPath {
        @Override
        public DoorbellMode doorbellMode() {
            return state.doorbellMode;
        }

        @Override
        public int postSend(int qpn, SendWorkRequest wr, int destLid) {
            if (wr == null || wr.opcode == null) {
                return NtStatus.INVALID_PARAMETER;
            }
            if (failed) {
                return NtStatus.INVALID_DEVICE_STATE;
            }
            DeviceState s = state;
            ContextTable<QpContext> qps = s.qps;
            QpContext qp = qps == null ? null : qps.get(qpn);
            if (qp == null) {
                return NtStatus.INVALID_PARAMETER;
            }
            WrOpcode op = wr.opcode;
            ScatterGatherList sgl = wr.sgl;
            int n = sgl.count();
            boolean inline = (wr.flags & SendFlags.INLINE) != 0;
            long total = sgl.totalLength();
            boolean atomic = op == WrOpcode.ATOMIC_CMP_AND_SWP || op == WrOpcode.ATOMIC_FETCH_AND_ADD;
            if ((qp.type == QpType.UD && op != WrOpcode.SEND && op != WrOpcode.SEND_WITH_IMM) || n > qp.maxSge
                    || total > Integer.MAX_VALUE
                    || (inline && (total > qp.maxInline || op == WrOpcode.RDMA_READ || atomic))
                    || (atomic && (n != 1 || sgl.length(0) != 8))
                    || (qp.type == QpType.UD && !Lrh.isUnicast(destLid) && !Lrh.isMulticast(destLid))) {
                return NtStatus.INVALID_PARAMETER;
            }
            qp.sqLock.lock();
            try {
                QpState st = qp.state;
                if (st == QpState.RESET || st == QpState.INIT || st == QpState.RTR) {
                    return NtStatus.INVALID_DEVICE_STATE;
                }
                long produced = qp.sqProduced;
                if (produced - qp.sqConsumed >= qp.sq.length) {
                    return NtStatus.INSUFFICIENT_RESOURCES;
                }
                SendWqe w = qp.sendSlot(produced);
                w.wrId = wr.wrId;
                w.opcode = op;
                w.flags = wr.flags;
                w.signaled = qp.signalAll || (wr.flags & SendFlags.SIGNALED) != 0;
                w.solicited = (wr.flags & SendFlags.SOLICITED) != 0;
                w.isInline = inline;
                w.totalLength = (int) total;
                w.immediate = wr.immediateData;
                w.remoteAddress = wr.remoteAddress;
                w.rkey = wr.rkey;
                w.compareAdd = wr.compareAdd;
                w.swap = wr.swap;
                w.destLid = destLid;
                w.remoteQpn = wr.remoteQpn;
                w.remoteQkey = wr.remoteQkey;
                if (inline) {
                    w.sgeCount = 0;
                    if (!copyInline(s, qp, sgl, w)) {
                        return NtStatus.INVALID_PARAMETER;
                    }
                } else {
                    w.sgeCount = n;
                    for (int i = 0; i < n; i++) {
                        w.addresses[i] = sgl.address(i);
                        w.lengths[i] = sgl.length(i);
                        w.lkeys[i] = sgl.lkey(i);
                    }
                }
                w.resetTransport();
                qp.sqProduced = produced + 1;
            } finally {
                qp.sqLock.unlock();
            }
            // Tavor: MMIO send doorbell; mem-free: doorbell record update plus the MMIO send doorbell
            doorbells.increment();
            engine.ring(qp);
            return NtStatus.SUCCESS;
        }

        /** Copies the SGEs' bytes into the WQE, as the driver copies inline data with the CPU. */
        private boolean copyInline(DeviceState s, QpContext qp, ScatterGatherList sgl, SendWqe w) {
            int at = 0;
            for (int i = 0; i < sgl.count(); i++) {
                long va = sgl.address(i);
                int len = sgl.length(i);
                if (len == 0) {
                    continue;
                }
                Mpt m = MemoryAccess.resolve(s, sgl.lkey(i), qp.pd, va, len, 0);
                if (m == null) {
                    m = regionAt(s, qp.pd, va, len);
                }
                if (m == null) {
                    return false;
                }
                m.memory.get(m.offset(va), w.inline, at, len);
                at += len;
            }
            return true;
        }

        private Mpt regionAt(DeviceState s, int pd, long va, int len) {
            int looked = 0;
            for (Mpt m : s.regionsByAddress.headMap(va, true).descendingMap().values()) {
                if (m.pd == pd && m.contains(va, len)) {
                    return m;
                }
                if (++looked == 16) {
                    break;
                }
            }
            return null;
        }

        @Override
        public int postReceive(int qpn, ReceiveWorkRequest wr) {
            if (wr == null) {
                return NtStatus.INVALID_PARAMETER;
            }
            if (failed) {
                return NtStatus.INVALID_DEVICE_STATE;
            }
            DeviceState s = state;
            ContextTable<QpContext> qps = s.qps;
            QpContext qp = qps == null ? null : qps.get(qpn);
            if (qp == null || wr.sgl.count() > qp.maxSge) {
                return NtStatus.INVALID_PARAMETER;
            }
            QpState st;
            qp.rqLock.lock();
            try {
                st = qp.state;
                if (st == QpState.RESET) {
                    return NtStatus.INVALID_DEVICE_STATE;
                }
                long produced = qp.rqProduced;
                if (produced - qp.rqConsumed >= qp.rq.length) {
                    return NtStatus.INSUFFICIENT_RESOURCES;
                }
                RecvWqe w = qp.recvSlot(produced);
                ScatterGatherList sgl = wr.sgl;
                w.wrId = wr.wrId;
                w.sgeCount = sgl.count();
                long total = 0;
                for (int i = 0; i < w.sgeCount; i++) {
                    w.addresses[i] = sgl.address(i);
                    w.lengths[i] = sgl.length(i);
                    w.lkeys[i] = sgl.lkey(i);
                    total += w.lengths[i];
                }
                w.totalLength = total;
                // the doorbell record: the engine reads this counter when a packet needs a WQE
                qp.rqProduced = produced + 1;
            } finally {
                qp.rqLock.unlock();
            }
            doorbells.increment();
            if (st == QpState.ERR) {
                engine.ring(qp); // the WQE is flushed
            }
            return NtStatus.SUCCESS;
        }

        @Override
        public int pollCq(int cqn, WorkCompletion[] out, int max) {
            ContextTable<CqContext> cqs = state.cqs;
            CqContext cq = cqs == null ? null : cqs.get(cqn);
            if (cq == null || out == null) {
                return -1;
            }
            int n = cq.poll(out, max);
            if (n == 0 && max > 0 && cq.armed.get() == CqContext.DISARMED && engine.busyPoll()) {
                n = cq.poll(out, max); // the pass this poll ran may have written CQEs
            }
            return n;
        }

        @Override
        public boolean armCq(int cqn, boolean solicitedOnly) {
            if (failed) {
                return false;
            }
            ContextTable<CqContext> cqs = state.cqs;
            CqContext cq = cqs == null ? null : cqs.get(cqn);
            if (cq == null) {
                return false;
            }
            cq.armed.set(solicitedOnly ? CqContext.ARMED_SOLICITED : CqContext.ARMED_NEXT);
            engine.endBusyPoll(); // the consumer waits for the event now, not polling
            return true;
        }
    }
}
