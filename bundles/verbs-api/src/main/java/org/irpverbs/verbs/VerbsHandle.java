package org.irpverbs.verbs;

import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.FileObject;

/**
 * A verbs object an HCA created: a protection domain, memory region, CQ, QP or address handle. The
 * client passes it back in later requests; the HCA checks that it is its own, alive, and (for
 * user-mode requests) owned by the caller's file object.
 *
 * <p>Thread-safe: immutable but for the destroyed flag.
 */
public abstract class VerbsHandle {
    private final DeviceObject hca;
    private final FileObject owner;
    private final int number;
    private final Object driverState;
    private volatile boolean destroyed;

    protected VerbsHandle(DeviceObject hca, FileObject owner, int number, Object driverState) {
        this.hca = hca;
        this.owner = owner;
        this.number = number;
        this.driverState = driverState;
    }

    /** The HCA device that created it. */
    public DeviceObject hca() {
        return hca;
    }

    /** The file object it belongs to, or null for a kernel client's object. */
    public FileObject owner() {
        return owner;
    }

    /** Its number in the HCA's table (PD number, CQN, QPN, MPT index, AH index). */
    public int number() {
        return number;
    }

    /** The driver's own state for it; only the creating driver uses this. */
    public Object driverState() {
        return driverState;
    }

    public boolean isDestroyed() {
        return destroyed;
    }

    /** Called by the HCA driver when the object is destroyed. */
    public void markDestroyed() {
        destroyed = true;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "#" + number + (destroyed ? " (destroyed)" : "");
    }
}
