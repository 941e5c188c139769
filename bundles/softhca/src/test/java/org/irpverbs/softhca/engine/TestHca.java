package org.irpverbs.softhca.engine;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.irpverbs.irp.ExecutionLevel;
import org.irpverbs.irp.IoManager;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.CommandCompletionHandler;
import org.irpverbs.softhca.CommandStatus;
import org.irpverbs.softhca.HardwareEventHandler;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.HcaModel;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.softhca.Opcode;
import org.irpverbs.softhca.fabric.Fabric;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.AsyncEventType;
import org.irpverbs.verbs.Mtu;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.WorkCompletion;

/**
 * A soft HCA driven directly through its HCR, as a test driver: posts commands and waits for their
 * completion at PASSIVE (the test thread), records events, and builds regions, CQs and QPs. For a
 * mem-free HCA it maps the ICM chunk of each object first, as the mem-free driver does.
 */
final class TestHca implements CommandCompletionHandler, HardwareEventHandler {
    /** What a command completed with. */
    record Result(CommandStatus status, Object output) {
    }

    /** A registered region: its MPT index, key, PD, virtual address and backing memory. */
    record Region(int index, int key, int pd, long va, ByteBuffer memory, int access) {
        int lkey() {
            return key;
        }

        int rkey() {
            return key;
        }
    }

    static final int PD = 1;

    final SoftHca hw;
    final boolean memFree;
    private final ConcurrentHashMap<Integer, CompletableFuture<Result>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger tokens = new AtomicInteger();
    final ConcurrentLinkedQueue<AsyncEvent> asyncEvents = new ConcurrentLinkedQueue<>();
    /** Every command result, in the order the firmware reported them. */
    final ConcurrentLinkedQueue<Result> completionOrder = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Integer> completionEvents = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<ExecutionLevel> handlerLevels = new ConcurrentLinkedQueue<>();
    private final Set<Long> mapped = new HashSet<>();
    private final AtomicInteger nextRegion = new AtomicInteger(1);

    TestHca(SoftHca hw, boolean memFree) {
        this.hw = hw;
        this.memFree = memFree;
        hw.firmware().setCompletionHandler(this);
        hw.setEventHandler(this);
    }

    static HcaConfig config(String name, HcaModel model, int lid, long classA, long classB, long classC) {
        return new HcaConfig(name, model, 1, HcaConfig.DEFAULT_ON_CARD_MEMORY, HcaConfig.DEFAULT_LOG_MAX_OUTSTANDING,
                classA, classB, classC, 0x0002C90300000000L + lid * 0x100L, List.of(lid), Mtu.MTU_2048, 1 << 16,
                1 << 16, 1 << 17, 1 << 20, 1 << 13);
    }

    static HcaConfig fastConfig(String name, HcaModel model, int lid) {
        return config(name, model, lid, 2_000, 10_000, 50_000);
    }

    static Command.Profile profile(boolean memFree) {
        return new Command.Profile(1024, 1024, 4096, 1 << 16, 64, memFree);
    }

    /** A Tavor-mode HCA up to an active port: SYS_EN, QUERY_FW, QUERY_DEV_LIM, INIT_HCA, SW2HW_EQ, INIT_IB. */
    static TestHca tavor(HcaConfig config, Fabric fabric, IoManager io, EngineTuning tuning) {
        TestHca t = new TestHca(SoftHcas.create(config, fabric, io, tuning), false);
        t.ok(new Command.SysEn());
        t.ok(new Command.QueryFw());
        t.ok(new Command.QueryDevLim());
        t.ok(new Command.InitHca(profile(false)));
        t.ok(new Command.Sw2HwEq(0));
        t.ok(new Command.InitIb(1, Mtu.MTU_2048));
        return t;
    }

    /** A mem-free HCA up to an active port: QUERY_FW, MAP_FA, RUN_FW, QUERY_DEV_LIM, INIT_HCA, SW2HW_EQ, INIT_IB. */
    static TestHca memFree(HcaConfig config, Fabric fabric, IoManager io, EngineTuning tuning) {
        TestHca t = new TestHca(SoftHcas.create(config, fabric, io, tuning), true);
        t.ok(new Command.QueryFw());
        t.ok(new Command.MapFa(64));
        t.ok(new Command.RunFw());
        t.ok(new Command.QueryDevLim());
        t.ok(new Command.InitHca(profile(true)));
        t.ok(new Command.Sw2HwEq(0));
        t.ok(new Command.InitIb(1, Mtu.MTU_2048));
        return t;
    }

    // ---- the HCR ----

    @Override
    public void commandCompleted(int token, CommandStatus status, Object output) {
        handlerLevels.add(ExecutionLevel.current());
        CompletableFuture<Result> f = pending.remove(token);
        if (f == null) {
            unexpected.add("completion for unknown token " + token);
        } else {
            Result result = new Result(status, output);
            completionOrder.add(result);
            f.complete(result);
        }
    }

    @Override
    public void completionEvent(int cqn) {
        handlerLevels.add(ExecutionLevel.current());
        completionEvents.add(cqn);
    }

    @Override
    public void asyncEvent(AsyncEvent event) {
        handlerLevels.add(ExecutionLevel.current());
        asyncEvents.add(event);
    }

    /** Posts without waiting; the future completes with the command. */
    CompletableFuture<Result> post(Command c) {
        int token = tokens.incrementAndGet();
        CompletableFuture<Result> f = new CompletableFuture<>();
        pending.put(token, f);
        if (!hw.firmware().post(c, token)) {
            pending.remove(token);
            return null;
        }
        return f;
    }

    Result exec(Command c) {
        CompletableFuture<Result> f = post(c);
        if (f == null) {
            fail(c.opcode() + " was refused by the HCR");
        }
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(c.opcode() + " did not complete", e);
        }
    }

    CommandStatus status(Command c) {
        return exec(c).status();
    }

    Object ok(Command c) {
        Result r = exec(c);
        assertEquals(c.opcode() + " status", CommandStatus.OK, r.status());
        return r.output();
    }

    /** Mem-free: MAP_ICM for the chunk holding {@code index} unless already mapped. */
    void icm(IcmTable table, int index) {
        if (!memFree) {
            return;
        }
        int chunk = table.chunkOf(index);
        if (mapped.add(((long) table.ordinal() << 32) | chunk)) {
            ok(new Command.MapIcm(table, chunk));
        }
    }

    /** Forgets the local record of ICM mappings (after a reset). */
    void forgetIcm() {
        mapped.clear();
    }

    // ---- objects ----

    Region region(int size, int access) {
        return region(size, access, PD);
    }

    Region region(int size, int access, int pd) {
        int index = nextRegion.getAndIncrement();
        int key = (index << 8) | ((index * 37 + 11) & 0xFF);
        long va = 0x100000000L * index + 0x1000;
        ByteBuffer memory = ByteBuffer.allocate(size);
        icm(IcmTable.MPT, index);
        ok(new Command.Sw2HwMpt(index, key, pd, va, size, access, 0, 0, memory));
        return new Region(index, key, pd, va, memory, access);
    }

    void cq(int cqn, int entries) {
        icm(IcmTable.CQC, cqn);
        ok(new Command.Sw2HwCq(cqn, entries, 0));
    }

    void rcQp(int qpn, int cqn, int access, int maxWr, boolean signalAll) {
        icm(IcmTable.QPC, qpn);
        QpAttributes a = new QpAttributes();
        a.pkeyIndex = 0;
        a.port = 1;
        a.accessFlags = access;
        a.set(QpAttributes.PKEY_INDEX).set(QpAttributes.PORT).set(QpAttributes.ACCESS_FLAGS).toState(QpState.INIT);
        ok(new Command.ModifyQp(Opcode.RST2INIT_QPEE, qpn,
                new Command.QpSetup(QpType.RC, PD, cqn, cqn, maxWr, maxWr, 4, 128, signalAll), a));
    }

    void udQp(int qpn, int cqn, int qkey, int maxWr) {
        icm(IcmTable.QPC, qpn);
        QpAttributes a = new QpAttributes();
        a.port = 1;
        a.qkey = qkey;
        a.set(QpAttributes.PKEY_INDEX).set(QpAttributes.PORT).set(QpAttributes.QKEY).toState(QpState.INIT);
        ok(new Command.ModifyQp(Opcode.RST2INIT_QPEE, qpn,
                new Command.QpSetup(QpType.UD, PD, cqn, cqn, maxWr, maxWr, 4, 128, true), a));
    }

    /** Transport knobs for {@link #connect}. */
    record RcOptions(int timeout, int retryCount, int rnrRetry, int minRnrTimer, int psn, Mtu mtu) {
        static RcOptions defaults() {
            // local ACK timeout 16: 268 ms real, about 17 ms at the default 1/16 timer scale
            return new RcOptions(16, 7, 7, 1, 0x100, Mtu.MTU_2048);
        }

        RcOptions withRetries(int timeoutCode, int retries) {
            return new RcOptions(timeoutCode, retries, rnrRetry, minRnrTimer, psn, mtu);
        }

        RcOptions withRnr(int retries, int timer) {
            return new RcOptions(timeout, retryCount, retries, timer, psn, mtu);
        }

        RcOptions withPsn(int startPsn) {
            return new RcOptions(timeout, retryCount, rnrRetry, minRnrTimer, startPsn, mtu);
        }
    }

    /** INIT2RTR and RTR2RTS for {@code qpn} here, connected to {@code remoteQpn} at {@code remoteLid}. */
    void toRts(int qpn, int remoteLid, int remoteQpn, RcOptions o, int remotePsn) {
        QpAttributes rtr = new QpAttributes();
        rtr.destLid = remoteLid;
        rtr.pathMtu = o.mtu();
        rtr.destQpn = remoteQpn;
        rtr.rqPsn = remotePsn;
        rtr.maxDestReadAtomic = 4;
        rtr.minRnrTimer = o.minRnrTimer();
        rtr.set(QpAttributes.AV).set(QpAttributes.PATH_MTU).set(QpAttributes.DEST_QPN).set(QpAttributes.RQ_PSN)
                .set(QpAttributes.MAX_DEST_RD_ATOMIC).set(QpAttributes.MIN_RNR_TIMER).toState(QpState.RTR);
        ok(new Command.ModifyQp(Opcode.INIT2RTR_QPEE, qpn, null, rtr));
        QpAttributes rts = new QpAttributes();
        rts.sqPsn = o.psn();
        rts.timeout = o.timeout();
        rts.retryCount = o.retryCount();
        rts.rnrRetry = o.rnrRetry();
        rts.maxReadAtomic = 4;
        rts.set(QpAttributes.SQ_PSN).set(QpAttributes.TIMEOUT).set(QpAttributes.RETRY_CNT).set(QpAttributes.RNR_RETRY)
                .set(QpAttributes.MAX_QP_RD_ATOMIC).toState(QpState.RTS);
        ok(new Command.ModifyQp(Opcode.RTR2RTS_QPEE, qpn, null, rts));
    }

    void udToRts(int qpn) {
        ok(new Command.ModifyQp(Opcode.INIT2RTR_QPEE, qpn, null, new QpAttributes().toState(QpState.RTR)));
        QpAttributes rts = new QpAttributes();
        rts.sqPsn = 0;
        ok(new Command.ModifyQp(Opcode.RTR2RTS_QPEE, qpn, null, rts.set(QpAttributes.SQ_PSN).toState(QpState.RTS)));
    }

    /** Connects RC QP {@code qpn} here with {@code remoteQpn} on {@code remote}, both to RTS. */
    void connect(int qpn, TestHca remote, int remoteQpn, RcOptions o) {
        int myLid = hw.config().portLids().get(0);
        int remoteLid = remote.hw.config().portLids().get(0);
        toRts(qpn, remoteLid, remoteQpn, o, o.psn());
        remote.toRts(remoteQpn, myLid, qpn, o, o.psn());
    }

    QpState qpState(int qpn) {
        return ((QpAttributes) ok(new Command.QueryQp(qpn))).state;
    }

    // ---- completions ----

    /** Polls {@code cqn} until {@code n} completions arrived (at most 30 s, a liveness bound). */
    List<WorkCompletion> poll(int cqn, int n) {
        return poll(cqn, n, 30_000);
    }

    /**
     * Returns once this HCA's engine has run {@code passes} whole passes after the call: each is
     * marked by a control item, and a pass runs its control items before its packet and doorbell
     * work, so the item of pass k+1 runs after the data work of pass k. What the engine would do
     * by itself with the work it has now (send more of a window, answer a packet) is done by then,
     * however slowly the machine runs it (no sleep standing in for "long enough").
     */
    void awaitEnginePasses(int passes) {
        for (int i = 0; i < passes; i++) {
            java.util.concurrent.CountDownLatch ran = new java.util.concurrent.CountDownLatch(1);
            hw.engine.submit(ran::countDown);
            try {
                assertTrue("engine pass of " + hw + " within 30 s", ran.await(30, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    List<WorkCompletion> poll(int cqn, int n, long timeoutMillis) {
        List<WorkCompletion> got = new ArrayList<>();
        WorkCompletion[] buf = new WorkCompletion[16];
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (got.size() < n && System.nanoTime() < deadline) {
            int k = hw.dataPath().pollCq(cqn, buf, Math.min(16, n - got.size()));
            assertTrue("pollCq on CQ " + cqn + " returned " + k, k >= 0);
            for (int i = 0; i < k; i++) {
                got.add(new WorkCompletion().copyFrom(buf[i]));
            }
            if (k == 0) {
                sleep(1);
            }
        }
        return got;
    }

    /** Asserts no completion arrives on {@code cqn} within {@code millis}. */
    void assertNoCompletion(int cqn, long millis) {
        List<WorkCompletion> got = poll(cqn, 1, millis);
        assertTrue("unexpected completion " + got, got.isEmpty());
    }

    boolean awaitEvent(AsyncEventType type, long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < deadline) {
            for (AsyncEvent e : asyncEvents) {
                if (e.type() == type) {
                    return true;
                }
            }
            sleep(1);
        }
        return false;
    }

    /** Waits up to {@code millis} for {@code condition}; true if it became true. */
    static boolean await(java.util.function.BooleanSupplier condition, long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(1);
        }
        return true;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static int access(int... flags) {
        int a = 0;
        for (int f : flags) {
            a |= f;
        }
        return a;
    }

    static final int ALL = AccessFlags.ALL;
}
