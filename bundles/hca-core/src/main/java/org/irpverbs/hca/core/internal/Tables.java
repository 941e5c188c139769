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
    /**
     * The first special-QP context, as mthca's sqp_start (even, after the QPs the firmware keeps):
     * QP0 of port p is context {@code SPECIAL_QP_BASE + p - 1}, QP1 of port p
     * {@code SPECIAL_QP_BASE + MAX_PORTS + p - 1}; CONF_SPECIAL_QP tells the firmware so.
     */
    static final int SPECIAL_QP_BASE = 8;
    /** Ports an HCA can have (HcaConfig: 1..2; mthca's MTHCA_MAX_PORTS). */
    static final int MAX_PORTS = 2;
    /** Address handles each HCA can have (mthca's default AV table). */
    static final int ADDRESS_HANDLES = 1 << 16;

    final IndexAllocator pds;
    final IndexAllocator mpts;
    final BuddyAllocator mtts;
    final IndexAllocator cqs;
    final IndexAllocator qps;
    final IndexAllocator ahs;
    final IndexAllocator mcgs;
    /** Whether the reserved QPNs hold the special-QP region (not when the profile's QP table is tiny). */
    private final boolean specialQps;
    /** Per special context (QP0 port 1, 2, QP1 port 1, 2): whether a CREATE_SPECIAL_QP holds it. */
    private final java.util.concurrent.atomic.AtomicIntegerArray specialClaims =
            new java.util.concurrent.atomic.AtomicIntegerArray(2 * MAX_PORTS);
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
        int reservedQps = Math.min(RESERVED_QPS, profile.qps() / 2);
        this.qps = new IndexAllocator("QP", profile.qps(), reservedQps);
        this.specialQps = reservedQps >= SPECIAL_QP_BASE + 2 * MAX_PORTS;
        this.ahs = new IndexAllocator("AH", ADDRESS_HANDLES, 0);
        this.mcgs = new IndexAllocator("MCG", profile.mcgs(), 0);
        this.qpByNumber = new AtomicReferenceArray<>(profile.qps());
        this.cqByNumber = new AtomicReferenceArray<>(profile.cqs());
        this.notifyQueues = new AtomicReferenceArray<>(profile.cqs());
        this.mptTags = new AtomicIntegerArray(profile.mpts());
    }

    /** The context of port 1's special QP of type {@code t} for CONF_SPECIAL_QP, or -1 if there is no room. */
    int specialQpBase(org.irpverbs.verbs.SpecialQpType t) {
        return specialQps ? SPECIAL_QP_BASE + t.ordinal() * MAX_PORTS : -1;
    }

    /**
     * Claims the context of {@code port}'s special QP of type {@code t}: its number, or -1 if
     * another CREATE_SPECIAL_QP holds it (or there is no special-QP region).
     */
    int claimSpecialQp(org.irpverbs.verbs.SpecialQpType t, int port) {
        int base = specialQpBase(t);
        if (base < 0) {
            return -1;
        }
        int slot = t.ordinal() * MAX_PORTS + port - 1;
        return specialClaims.compareAndSet(slot, 0, 1) ? base + port - 1 : -1;
    }

    /** Frees a QP number: an ordinary one to the allocator, a special context to its claim. */
    void freeQpn(int qpn) {
        if (specialQps && qpn >= SPECIAL_QP_BASE && qpn < SPECIAL_QP_BASE + 2 * MAX_PORTS) {
            specialClaims.set(qpn - SPECIAL_QP_BASE, 0);
        } else {
            qps.free(qpn);
        }
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
