package org.irpverbs.verbs;

import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.FileObject;

/** A registered memory region with its keys, virtual address range and access rights. */
public final class MemoryRegion extends VerbsHandle {
    private final int lkey;
    private final int rkey;
    private final long address;
    private final long length;
    private final int access;

    public MemoryRegion(DeviceObject hca, FileObject owner, int number, Object driverState, int lkey, int rkey,
            long address, long length, int access) {
        super(hca, owner, number, driverState);
        this.lkey = lkey;
        this.rkey = rkey;
        this.address = address;
        this.length = length;
        this.access = access;
    }

    public int lkey() {
        return lkey;
    }

    public int rkey() {
        return rkey;
    }

    /** The virtual address of the first byte (what SGEs and RDMA requests name). */
    public long address() {
        return address;
    }

    public long length() {
        return length;
    }

    public int access() {
        return access;
    }
}
