package org.irpverbs.verbs;

import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.FileObject;

/** A queue pair; {@link #number()} is its QPN. */
public final class QueuePair extends VerbsHandle {
    private final QpType type;
    private volatile QpState state = QpState.RESET;

    public QueuePair(DeviceObject hca, FileObject owner, int number, Object driverState, QpType type) {
        super(hca, owner, number, driverState);
        this.type = type;
    }

    public QpType type() {
        return type;
    }

    /** The state the last completed MODIFY_QP (or an error) left it in. */
    public QpState state() {
        return state;
    }

    /** Called by the HCA driver. */
    public void setState(QpState state) {
        this.state = state;
    }
}
