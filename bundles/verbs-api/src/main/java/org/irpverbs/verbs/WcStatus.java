package org.irpverbs.verbs;

/** Work completion status (IBA 11.4.2.1 / ibv_wc_status). */
public enum WcStatus {
    SUCCESS,
    /** Local length error: a receive buffer too small, or a message longer than the QP allows. */
    LOC_LEN_ERR,
    LOC_QP_OP_ERR,
    /** Local protection error: bad lkey, out of bounds, PD mismatch, missing LOCAL_WRITE. */
    LOC_PROT_ERR,
    /** The QP went to the error state: outstanding work requests are flushed with this. */
    WR_FLUSH_ERR,
    BAD_RESP_ERR,
    LOC_ACCESS_ERR,
    /** Remote invalid request (NAK): e.g. an opcode the responder's QP does not allow. */
    REM_INV_REQ_ERR,
    /** Remote access error (NAK): bad rkey, out of bounds, missing remote access right, PD mismatch. */
    REM_ACCESS_ERR,
    REM_OP_ERR,
    /** The transport retry count was exceeded (no ACK). */
    RETRY_EXC_ERR,
    /** The RNR retry count was exceeded (the responder had no receive posted). */
    RNR_RETRY_EXC_ERR,
    GENERAL_ERR
}
