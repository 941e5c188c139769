package org.irpverbs.verbs;

/**
 * A work completion (ibv_wc), filled by {@link VerbsSpeedPath#pollCq}. Reusable; not thread-safe.
 */
public final class WorkCompletion {
    public long wrId;
    public WcStatus status;
    public WcOpcode opcode;
    /** Bytes received (receives) or transferred. */
    public int byteLength;
    public boolean hasImmediate;
    public int immediateData;
    /** The local QP. */
    public int qpNumber;
    /** Receives on UD: the source QPN and LID. */
    public int sourceQp;
    public int sourceLid;
    /**
     * Receives on UD (IB_WC_GRH): the packet carried a GRH, now in the first 40 bytes of the
     * receive buffer (a multicast always does). Without one those bytes are left as they were and
     * mean nothing, so a consumer must look here before reading the source GID from them.
     */
    public boolean grhPresent;
    /** A vendor syndrome that says more about an error. */
    public int vendorError;

    public WorkCompletion copyFrom(WorkCompletion o) {
        wrId = o.wrId;
        status = o.status;
        opcode = o.opcode;
        byteLength = o.byteLength;
        hasImmediate = o.hasImmediate;
        immediateData = o.immediateData;
        qpNumber = o.qpNumber;
        sourceQp = o.sourceQp;
        sourceLid = o.sourceLid;
        grhPresent = o.grhPresent;
        vendorError = o.vendorError;
        return this;
    }

    @Override
    public String toString() {
        return "wc[wr " + wrId + " " + opcode + " " + status + " " + byteLength + " B qp " + qpNumber
                + (hasImmediate ? " imm " + Integer.toHexString(immediateData) : "") + (grhPresent ? " grh" : "") + "]";
    }
}
