package org.irpverbs.irp;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An open handle on a device stack ({@code FILE_OBJECT}), created by CREATE and ended by CLEANUP
 * and CLOSE. Requests carry it in their stack locations so a driver can scope per-handle state
 * ({@link #setContext}) and so CLEANUP can complete exactly the requests of the handle being closed.
 *
 * <p>Thread-safe for reading; the context is the driver's to guard.
 */
public final class FileObject {
    private final long id;
    private final DeviceObject device;
    private final int grantedAccess;
    private final RequestorMode mode;
    private final Object owner;
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile Object context;

    FileObject(long id, DeviceObject device, int grantedAccess, RequestorMode mode, Object owner) {
        this.id = id;
        this.device = device;
        this.grantedAccess = grantedAccess;
        this.mode = mode;
        this.owner = owner;
    }

    /** A handle number unique in this manager. */
    public long id() {
        return id;
    }

    /** The device opened (requests go to the top of its stack). */
    public DeviceObject device() {
        return device;
    }

    /** {@link IoctlCode#FILE_READ_ACCESS} and/or {@link IoctlCode#FILE_WRITE_ACCESS}. */
    public int grantedAccess() {
        return grantedAccess;
    }

    public RequestorMode requestorMode() {
        return mode;
    }

    /** Whoever opened it; user-mode handles are only usable by the same owner. */
    public Object owner() {
        return owner;
    }

    public Object context() {
        return context;
    }

    public void setContext(Object context) {
        this.context = context;
    }

    public boolean isClosing() {
        return closing.get();
    }

    boolean markClosing() {
        return closing.compareAndSet(false, true);
    }

    @Override
    public String toString() {
        return "FileObject#" + id + " on " + device.name();
    }
}
