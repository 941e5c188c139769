package org.irpverbs.irp;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open handle on a device stack ({@code FILE_OBJECT}), created by CREATE and ended by CLEANUP
 * and CLOSE. Requests carry it in their stack locations so a driver can scope per-handle state
 * ({@link #setContext}) and so CLEANUP can complete exactly the requests of the handle being closed.
 *
 * <p>A handle goes OPEN → CLEANUP (close started: new device control is refused, the handle's
 * queued requests are cancelled, and a {@link CancelSafeQueue} completes any request of the
 * handle inserted from now on as CANCELLED instead of queueing it) → CLEANUP_COMPLETE (the CLEANUP
 * request completed: Windows' {@code FO_CLEANUP_COMPLETE}) → CLOSED (CLOSE completed). A driver
 * that holds requests outside a cancel-safe queue checks {@link #isClosing()} where it keeps one.
 *
 * <p>Thread-safe for reading; the context is the driver's to guard.
 */
public final class FileObject {
    private final long id;
    private final DeviceObject device;
    private final int grantedAccess;
    private final RequestorMode mode;
    private final Object owner;
    private static final int OPEN = 0;
    private static final int CLEANUP = 1;
    private static final int CLEANUP_COMPLETE = 2;
    private static final int CLOSED = 3;
    private final AtomicInteger state = new AtomicInteger(OPEN);
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

    /** True once {@link IoManager#close} began: the handle takes no new requests. */
    public boolean isClosing() {
        return state.get() >= CLEANUP;
    }

    /**
     * {@code FO_CLEANUP_COMPLETE}: true once the CLEANUP request completed. Requests of the handle
     * that reach a driver after this must not be kept.
     *
     * @since 1.1
     */
    public boolean isCleanupComplete() {
        return state.get() >= CLEANUP_COMPLETE;
    }

    boolean markClosing() {
        return state.compareAndSet(OPEN, CLEANUP);
    }

    void markCleanupComplete() {
        state.set(CLEANUP_COMPLETE);
    }

    void markClosed() {
        state.set(CLOSED);
    }

    @Override
    public String toString() {
        return "FileObject#" + id + " on " + device.name();
    }
}
