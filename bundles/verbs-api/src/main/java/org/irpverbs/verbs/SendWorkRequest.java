package org.irpverbs.verbs;

/**
 * A send work request (ibv_send_wr), reusable: the HCA copies what it needs when it is posted, so
 * the caller may refill it at once.
 *
 * <p>Not thread-safe.
 */
public final class SendWorkRequest {
    public long wrId;
    public WrOpcode opcode = WrOpcode.SEND;
    /** {@link SendFlags} bits. */
    public int flags;
    public final ScatterGatherList sgl = new ScatterGatherList();
    /** Immediate data for the *_WITH_IMM opcodes (sent in network byte order). */
    public int immediateData;
    /** RDMA and atomic: the remote virtual address and rkey. */
    public long remoteAddress;
    public int rkey;
    /** Atomic: compare value (CMP_AND_SWP) or addend (FETCH_AND_ADD). */
    public long compareAdd;
    /** Atomic CMP_AND_SWP: the value to swap in. */
    public long swap;
    /** UD: destination address handle, QPN and Q_Key. */
    public AddressHandle addressHandle;
    public int remoteQpn;
    public int remoteQkey;

    /** Resets every field so the request can be refilled. */
    public SendWorkRequest clear() {
        wrId = 0;
        opcode = WrOpcode.SEND;
        flags = 0;
        sgl.clear();
        immediateData = 0;
        remoteAddress = 0;
        rkey = 0;
        compareAdd = 0;
        swap = 0;
        addressHandle = null;
        remoteQpn = 0;
        remoteQkey = 0;
        return this;
    }
}
