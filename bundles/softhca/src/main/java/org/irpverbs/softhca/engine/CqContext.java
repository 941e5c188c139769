package org.irpverbs.softhca.engine;

import java.util.concurrent.atomic.AtomicInteger;
import org.irpverbs.irp.SpinLock;
import org.irpverbs.verbs.WcOpcode;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WorkCompletion;

/**
 * A completion queue as the hardware writes it: a ring of preallocated CQEs in host memory. The
 * engine (one pass at a time: its thread or a busy-polling consumer) is the only producer and
 * writes without a lock, as the hardware does: it fills the CQE, then publishes it by advancing
 * the producer count with a release store (the CQE's ownership bit). Pollers, from any thread,
 * take the CQ's {@link SpinLock} among themselves for the few instructions a CQE copy takes, as
 * the real driver takes the CQ's spinlock in poll_cq.
 * (The producer used to take the lock too; with a poller spinning on the CQ that made the lock's
 * cache line bounce on every CQE, a quarter of the requesting engine's time at 64 KiB RDMA WRITE
 * bandwidth.)
 *
 * <p>Thread-safe.
 */
final class CqContext {
    static final int DISARMED = 0;
    static final int ARMED_NEXT = 1;
    static final int ARMED_SOLICITED = 2;

    final int cqn;
    final int eqn;
    private final SpinLock lock = new SpinLock();
    private WorkCompletion[] ring;
    /**
     * Advanced by the engine after it wrote the CQE; read by pollers. A volatile store, not a
     * release store: the engine reads {@link #armed} right after it, and a consumer arms, then
     * polls once more. Each side must see the other's write, or the engine sees "disarmed" while
     * the consumer sees an empty CQ and both wait for ever (x86 lets a load pass an earlier
     * release store; RcTransportTest.armThenPollNeverMissesACompletion).
     */
    private volatile long produced;
    /** Advanced by pollers under the lock; read by the engine to see free slots. */
    private volatile long consumed;
    /** Event arming: DISARMED, ARMED_NEXT or ARMED_SOLICITED; the engine disarms when it raises the event. */
    final AtomicInteger armed = new AtomicInteger(DISARMED);
    /** QPs whose contexts point at this CQ (the engine's pass only). */
    int qpRefs;

    CqContext(int cqn, int entries, int eqn) {
        this.cqn = cqn;
        this.eqn = eqn;
        this.ring = newRing(entries);
    }

    private static WorkCompletion[] newRing(int entries) {
        WorkCompletion[] r = new WorkCompletion[entries];
        for (int i = 0; i < entries; i++) {
            r[i] = new WorkCompletion();
        }
        return r;
    }

    /** Writes a CQE; false if the CQ is full (an overrun: the CQE is lost). The engine's pass only. */
    boolean push(long wrId, WcStatus status, WcOpcode opcode, int byteLength, boolean hasImm, int imm, int qpn,
            int sourceQp, int sourceLid, boolean grh, int vendorError) {
        WorkCompletion[] r = ring; // replaced only by resize, on this same thread
        long p = produced;
        if (p - consumed >= r.length) {
            return false;
        }
        WorkCompletion wc = r[(int) (p % r.length)];
        wc.wrId = wrId;
        wc.status = status;
        wc.opcode = opcode;
        wc.byteLength = byteLength;
        wc.hasImmediate = hasImm;
        wc.immediateData = imm;
        wc.qpNumber = qpn;
        wc.sourceQp = sourceQp;
        wc.sourceLid = sourceLid;
        wc.grhPresent = grh;
        wc.vendorError = vendorError;
        produced = p + 1; // publishes the CQE's fields to the poller that reads produced
        return true;
    }

    /** Copies up to {@code max} CQEs into {@code out} (filling null slots with new objects). Any thread. */
    int poll(WorkCompletion[] out, int max) {
        int n = Math.min(max, out.length);
        if (n <= 0 || produced == consumed) {
            return 0; // empty: no lock, so a spinning poller does not hold up the engine
        }
        lock.lock();
        try {
            WorkCompletion[] r = ring;
            int available = (int) Math.min(n, produced - consumed);
            for (int i = 0; i < available; i++) {
                WorkCompletion wc = out[i];
                if (wc == null) {
                    wc = new WorkCompletion();
                    out[i] = wc;
                }
                wc.copyFrom(r[(int) (consumed % r.length)]);
                consumed++;
            }
            return available;
        } finally {
            lock.unlock();
        }
    }

    /** CQEs held now. */
    int held() {
        lock.lock();
        try {
            return (int) (produced - consumed);
        } finally {
            lock.unlock();
        }
    }

    int capacity() {
        lock.lock();
        try {
            return ring.length;
        } finally {
            lock.unlock();
        }
    }

    /** RESIZE_CQ: keeps the CQEs held, in order; false if they do not fit. Engine thread. */
    boolean resize(int entries) {
        WorkCompletion[] fresh = newRing(entries);
        lock.lock();
        try {
            int held = (int) (produced - consumed);
            if (held > entries) {
                return false;
            }
            for (int i = 0; i < held; i++) {
                fresh[i].copyFrom(ring[(int) ((consumed + i) % ring.length)]);
            }
            ring = fresh;
            consumed = 0;
            produced = held;
            return true;
        } finally {
            lock.unlock();
        }
    }
}
