package org.irpverbs.verbs;

import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.FileObject;

/** A completion queue. */
public final class CompletionQueue extends VerbsHandle {
    private volatile int capacity;

    public CompletionQueue(DeviceObject hca, FileObject owner, int number, Object driverState, int capacity) {
        super(hca, owner, number, driverState);
        this.capacity = capacity;
    }

    /** Entries it holds (after a resize, the new size). */
    public int capacity() {
        return capacity;
    }

    /** Called by the HCA driver when a resize completes. */
    public void setCapacity(int capacity) {
        this.capacity = capacity;
    }
}
