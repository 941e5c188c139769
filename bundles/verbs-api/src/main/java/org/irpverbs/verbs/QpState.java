package org.irpverbs.verbs;

/** The IB queue pair state machine (IBA 10.3.1). */
public enum QpState {
    RESET, INIT, RTR, RTS, SQD, SQE, ERR
}
