package org.irpverbs.verbs;

/** Send work request flags (ibv_send_flags values). */
public final class SendFlags {
    private SendFlags() {}

    public static final int FENCE = 1;
    /** Generate a work completion even on a QP created with selective signaling. */
    public static final int SIGNALED = 2;
    public static final int SOLICITED = 4;
    /** The data is copied from the SGEs at post time; no lkey is needed. */
    public static final int INLINE = 8;
}
