package org.irpverbs.hca.core.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.irpverbs.hca.core.ResourceUsage;
import org.irpverbs.irp.CancelSafeQueue;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.softhca.Command;

/**
 * An HCA's resource tables, sized at START from the INIT_HCA profile (Tavor: what fits in on-card
 * memory; mem-free: the full profile) and the device limits: number allocators, the objects the
 * hardware's events name by number (QPs and CQs), the REQ_NOTIFY_CQ queue of each CQ number, and
 * the MPT key tags.
 *
 * <p>Thread-safe: allocators are lock-free or spin-locked, the arrays atomic.
 */
final class Tables {
    /**
     * QPNs below this are never handed out: QP0 and QP1 are the special QPs (SMI, GSI) of each port,
     * and mthca keeps the low QPNs for the special-QP region as well.
     */
    static final int RESERVED_QPS = 16;
    /** Address handles each HCA can have (mthca's default AV table). */
    static final int ADDRESS_HANDLES = 1 << 16;

    final IndexAllocator pds;
    final IndexAllocator mpts;
    final BuddyAllocator mtts;
    final IndexAllocator cqs;
    final IndexAllocator qps;
    final IndexAllocator ahs;
    final IndexAllocator mcgs;
    final AtomicReferenceArray<QpContext> qpByNumber;
    final AtomicReferenceArray<CqContext> cqByNumber;
    /** One queue per CQ number, made on first use and reused by later CQs with the same number. */
    private final AtomicReferenceArray<CancelSafeQueue> notifyQueues;
    /** Per MPT index: the tag of its key's low byte, changed on every registration. */
    final AtomicIntegerArray mptTags;
    private final DeviceObject fdo;

    Tables(DeviceObject fdo, Command.Profile profile, Command.DeviceLimits limits) {
        this.fdo = fdo;
        this.pds = new IndexAllocator("PD", Math.max(2, limits.maxPd()), 1);
        // MPT 0 is not handed out, so no key is 0
        this.mpts = new IndexAllocator("MPT", profile.mpts(), 1);
        this.mtts = new BuddyAllocator(Integer.highestOneBit(profile.mtts()));
        this.cqs = new IndexAllocator("CQ", profile.cqs(), 0);
        this.qps = new IndexAllocator("QP", profile.qps(), Math.min(RESERVED_QPS, profile.qps() / 2));
        this.ahs = new IndexAllocator("AH", ADDRESS_HANDLES, 0);
        this.mcgs = new IndexAllocator("MCG", profile.mcgs(), 0);
        this.qpByNumber = new AtomicReferenceArray<>(profile.qps());
        this.cqByNumber = new AtomicReferenceArray<>(profile.cqs());
        this.notifyQueues = new AtomicReferenceArray<>(profile.cqs());
        this.mptTags = new AtomicIntegerArray(profile.mpts());
    }

    /** The notification queue of CQ number {@code cqn}, made on first use (the device flushes it on removal). */
    CancelSafeQueue notifyQueue(int cqn) {
        CancelSafeQueue queue = notifyQueues.get(cqn);
        if (queue == null) {
            CancelSafeQueue made = new CancelSafeQueue(fdo, fdo.name() + " CQ " + cqn + " notifications");
            // a loser of this race leaves an empty queue on the device; it only costs a flush
            queue = notifyQueues.compareAndSet(cqn, null, made) ? made : notifyQueues.get(cqn);
        }
        return queue;
    }

    /** The notification queue if CQ number {@code cqn} ever had one, else null. */
    CancelSafeQueue existingNotifyQueue(int cqn) {
        return cqn >= 0 && cqn < notifyQueues.length() ? notifyQueues.get(cqn) : null;
    }

    int pendingNotifications() {
        int n = 0;
        for (int i = 0; i < notifyQueues.length(); i++) {
            CancelSafeQueue q = notifyQueues.get(i);
            if (q != null) {
                n += q.size();
            }
        }
        return n;
    }

    Map<String, ResourceUsage> usage() {
        Map<String, ResourceUsage> usage = new LinkedHashMap<>();
        usage.put("PD", new ResourceUsage(pds.inUse(), pds.capacity()));
        usage.put("MR", new ResourceUsage(mpts.inUse(), mpts.capacity()));
        usage.put("MTT", new ResourceUsage(mtts.inUse(), mtts.capacity()));
        usage.put("CQ", new ResourceUsage(cqs.inUse(), cqs.capacity()));
        usage.put("QP", new ResourceUsage(qps.inUse(), qps.capacity()));
        usage.put("AH", new ResourceUsage(ahs.inUse(), ahs.capacity()));
        usage.put("MCG", new ResourceUsage(mcgs.inUse(), mcgs.capacity()));
        return usage;
    }
}
