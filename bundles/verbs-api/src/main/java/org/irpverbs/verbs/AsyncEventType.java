package org.irpverbs.verbs;

/** Asynchronous events an HCA reports (IBA 11.6.3). */
public enum AsyncEventType {
    PORT_ACTIVE,
    PORT_DOWN,
    /** A QP hit an error it cannot report through a completion; it is in the error state. */
    QP_FATAL,
    CQ_ERROR,
    /** Catastrophic error: the HCA is unusable; its stack is surprise-removed. */
    CATASTROPHIC_ERROR
}
