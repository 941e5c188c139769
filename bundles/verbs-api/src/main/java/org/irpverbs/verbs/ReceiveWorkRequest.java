package org.irpverbs.verbs;

/** A receive work request (ibv_recv_wr), reusable like {@link SendWorkRequest}. Not thread-safe. */
public final class ReceiveWorkRequest {
    public long wrId;
    public final ScatterGatherList sgl = new ScatterGatherList();

    public ReceiveWorkRequest clear() {
        wrId = 0;
        sgl.clear();
        return this;
    }
}
