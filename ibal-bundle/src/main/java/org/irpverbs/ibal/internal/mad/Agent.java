package org.irpverbs.ibal.internal.mad;

import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.irpverbs.ibal.mad.MadAgent;
import org.irpverbs.ibal.mad.MadAgentSpec;
import org.irpverbs.ibal.mad.MadHandler;
import org.irpverbs.ibal.mad.MadSend;
import org.irpverbs.ibal.mad.MadService;
import org.irpverbs.ibal.mad.MadTransaction;
import org.irpverbs.ibal.mad.ReceivedMad;
import org.osgi.util.promise.Deferred;
import org.osgi.util.promise.Promise;

/**
 * A registered agent: its id (the high 32 bits of its TIDs), its transactions in flight, and the
 * fence of {@link #unregister()}: the handler calls running are counted, and the unregister
 * promise resolves when the agent is closed and that count is zero, so no call starts or runs
 * after it (Linux ib_unregister_mad_agent's guarantee, given as a promise instead of a wait).
 *
 * <p>Thread-safe, lock-free.
 */
final class Agent implements MadAgent {
    private final PortMadService service;
    private final int id;
    private final MadAgentSpec spec;
    private final MadHandler handler;
    private final AtomicInteger nextLowTid = new AtomicInteger();
    /** Transactions not yet settled, by sequence number. */
    final ConcurrentSkipListMap<Long, Transaction> inFlight = new ConcurrentSkipListMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Handler calls running, plus one while the agent is open (the open reference). */
    private final AtomicInteger active = new AtomicInteger(1);
    private final Deferred<Void> fence;
    private final AtomicBoolean fenced = new AtomicBoolean();

    Agent(PortMadService service, int id, MadAgentSpec spec, MadHandler handler) {
        this.service = service;
        this.id = id;
        this.spec = spec;
        this.handler = handler;
        this.fence = service.promises.deferred();
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public MadAgentSpec spec() {
        return spec;
    }

    @Override
    public MadService service() {
        return service;
    }

    @Override
    public long newTransactionId() {
        return ((long) id << 32) | (nextLowTid.incrementAndGet() & 0xFFFFFFFFL);
    }

    @Override
    public MadTransaction send(MadSend send) {
        return service.send(this, send);
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Hands an unsolicited request to the handler unless the agent closed; false if it did not. */
    boolean deliver(ReceivedMad request, java.util.concurrent.atomic.AtomicLong delivered) {
        if (active.getAndIncrement() == 0 || closed.get()) {
            exit();
            return false;
        }
        delivered.incrementAndGet(); // before the handler, which may answer before it returns
        try {
            if (handler != null) {
                handler.received(this, request);
            }
        } catch (RuntimeException e) {
            service.handlerFailed(this, e);
        } finally {
            exit();
        }
        return true;
    }

    private void exit() {
        if (active.decrementAndGet() == 0 && fenced.compareAndSet(false, true)) {
            fence.resolve(null);
        }
    }

    @Override
    public Promise<Void> unregister() {
        if (closed.compareAndSet(false, true)) {
            service.unregistered(this);
            for (Transaction t : inFlight.values()) {
                t.cancel();
            }
            exit(); // drops the open reference: the fence resolves once the running calls return
        }
        return fence.getPromise();
    }
}
