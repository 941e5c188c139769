package org.irpverbs.hca.core.internal;

/** Driver state of a memory region: its MPT entry and its MTT segment. */
final class MrContext {
    final ObjectLife life = new ObjectLife();
    final PdContext pd;
    final int mpt;
    final int mttBase;
    final int mttOrder;
    final int mttCount;

    MrContext(PdContext pd, int mpt, int mttBase, int mttOrder, int mttCount) {
        this.pd = pd;
        this.mpt = mpt;
        this.mttBase = mttBase;
        this.mttOrder = mttOrder;
        this.mttCount = mttCount;
    }
}
