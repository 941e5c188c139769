package org.irpverbs.irp;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A device in a stack ({@code DEVICE_OBJECT}): created by a driver through
 * {@link IoManager#createDevice}, attached on top of a lower device, and dispatched to through its
 * driver's routines.
 * <pre>
 *   originator ──send──► [filter]  ◄─ attachedTop()
 *                           │ callDriver
 *                        [function device (FDO)]
 *                           │ callDriver
 *                        [physical device (PDO)]  ◄─ created by the bus driver
 * </pre>
 * <p>Thread-safe: the stack links change only under the PnP manager's serial queue; counters are
 * atomic; the extension is the driver's to guard.
 */
public final class DeviceObject {
    /** Where a device stands in its stack. */
    public enum Kind {
        /** Created by a bus driver for a child it enumerated (PDO); the bottom of a stack. */
        PHYSICAL,
        /** The device of the driver that runs the hardware (FDO). */
        FUNCTION,
        /** A filter above or below the function device. */
        FILTER
    }

    private final String name;
    private final Kind kind;
    private final DriverObject driver;
    private final IoManager io;
    private final Object extension;
    private final List<String> hardwareIds;
    private volatile DeviceObject attachedDevice;
    private volatile DeviceObject lowerDevice;
    private volatile int stackSize = 1;
    private volatile PnpState pnpState = PnpState.NOT_STARTED;
    private volatile RemoveLock removeLock = new RemoveLock();
    /** Requests finished under earlier remove locks (a PDO gets a fresh lock for each new stack). */
    private volatile long finishedBefore;
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    /** Requests this device passed on with skipCurrentLocation that have not completed yet. */
    private final AtomicLong passedOn = new AtomicLong();
    // lock-free: drivers add these from AddDevice and DPCs, at DISPATCH
    private final ConcurrentLinkedQueue<String> interfaces = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<CancelSafeQueue> queues = new ConcurrentLinkedQueue<>();
    /** For a PDO: set when its bus no longer reports it, so REMOVE deletes it. */
    volatile boolean reportedMissing;

    DeviceObject(IoManager io, DriverObject driver, String name, Kind kind, List<String> hardwareIds, Object extension) {
        this.io = io;
        this.driver = driver;
        this.name = name;
        this.kind = kind;
        this.hardwareIds = hardwareIds == null ? List.of() : List.copyOf(hardwareIds);
        this.extension = extension;
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public DriverObject driver() {
        return driver;
    }

    /** The manager this device belongs to. */
    public IoManager ioManager() {
        return io;
    }

    /** The driver's per-device state ({@code DeviceExtension}). */
    public Object extension() {
        return extension;
    }

    /** Typed access to the extension. */
    public <T> T extension(Class<T> type) {
        return type.cast(extension);
    }

    /** Hardware IDs, most specific first (PDOs only; empty otherwise). */
    public List<String> hardwareIds() {
        return hardwareIds;
    }

    /** The device directly above, or null if this is the top of its stack. */
    public DeviceObject attachedDevice() {
        return attachedDevice;
    }

    /** The device directly below, or null for a PDO. */
    public DeviceObject lowerDevice() {
        return lowerDevice;
    }

    /** {@code IoGetAttachedDevice}: the top of this device's stack, where requests enter. */
    public DeviceObject attachedTop() {
        DeviceObject d = this;
        DeviceObject up;
        while ((up = d.attachedDevice) != null) {
            d = up;
        }
        return d;
    }

    /** The bottom (physical device) of this device's stack. */
    public DeviceObject physicalDevice() {
        DeviceObject d = this;
        DeviceObject down;
        while ((down = d.lowerDevice) != null) {
            d = down;
        }
        return d;
    }

    /** Stack locations a request sent to this device needs. */
    public int stackSize() {
        return stackSize;
    }

    public PnpState pnpState() {
        return pnpState;
    }

    void setPnpState(PnpState state) {
        this.pnpState = state;
    }

    public RemoveLock removeLock() {
        return removeLock;
    }

    /**
     * {@code IoCallDriver}: makes the request's next location current for this device and runs
     * this device's dispatch routine for its major function. Returns what the routine returned.
     * Non-PnP requests are admitted through the {@link #removeLock()}: a device being removed
     * completes them at once with {@link NtStatus#DELETE_PENDING} (or the surprise-removal status).
     */
    public int callDriver(Irp irp) {
        return irp.callDriver(this);
    }

    /** Registers a device interface (a name clients look the device up by) for when the stack starts. */
    public void registerInterface(String interfaceName) {
        if (interfaceName == null || interfaceName.isBlank()) {
            throw new IllegalArgumentException("device interface name must not be blank");
        }
        if (!interfaces.contains(interfaceName)) {
            interfaces.add(interfaceName);
        }
    }

    /** The registered device interfaces, in registration order. */
    public Set<String> interfaces() {
        return new LinkedHashSet<>(interfaces);
    }

    /** Queues the framework flushes on surprise removal and removal. */
    void addQueue(CancelSafeQueue queue) {
        queues.add(queue);
    }

    /** A queue whose owner no longer uses it (an event queue of a client that went). */
    void removeQueue(CancelSafeQueue queue) {
        queues.remove(queue);
    }

    Iterable<CancelSafeQueue> queues() {
        return queues;
    }

    /** A PDO whose stack was removed while its hardware stays gets a fresh lock for its next stack. */
    void resetForNextStack() {
        RemoveLock old = removeLock;
        finishedBefore += old.finished();
        removeLock = new RemoveLock();
        attachedDevice = null;
        pnpState = PnpState.NOT_STARTED;
    }

    void attachOnto(DeviceObject lower) {
        DeviceObject top = lower.attachedTop();
        this.lowerDevice = top;
        this.stackSize = top.stackSize + 1;
        top.attachedDevice = this;
    }

    void detach() {
        DeviceObject lower = lowerDevice;
        if (lower != null && lower.attachedDevice == this) {
            lower.attachedDevice = attachedDevice;
        }
        DeviceObject upper = attachedDevice;
        if (upper != null && upper.lowerDevice == this) {
            upper.lowerDevice = lower;
        }
    }

    int requestEntered() {
        int admitted = removeLock.acquire();
        if (admitted != NtStatus.SUCCESS) {
            failed.incrementAndGet();
        }
        return admitted;
    }

    void requestLeft(int status) {
        countOutcome(status);
        removeLock.release();
    }

    /**
     * A request left this device's remove lock early, passed on with skipCurrentLocation: it
     * stays in flight for the statistics until {@link #passedOnRequestLeft}.
     */
    void requestPassedOn() {
        passedOn.incrementAndGet();
        removeLock.release();
    }

    void passedOnRequestLeft(int status) {
        countOutcome(status);
        passedOn.decrementAndGet();
    }

    private void countOutcome(int status) {
        if (status < 0) {
            if (status == NtStatus.CANCELLED) {
                cancelled.incrementAndGet();
            } else if (status == NtStatus.IO_TIMEOUT) {
                timedOut.incrementAndGet();
            } else {
                failed.incrementAndGet();
            }
        }
    }

    public DeviceStatistics statistics() {
        long f = failed.get();
        long c = cancelled.get();
        long t = timedOut.get();
        long stillPassedOn = passedOn.get();
        long inFlight = removeLock.inFlight() + stillPassedOn;
        long finished = finishedBefore + removeLock.finished() - stillPassedOn;
        return new DeviceStatistics(inFlight, Math.max(0, finished - f - c - t), f, c, t);
    }

    @Override
    public String toString() {
        return kind + " " + name + " (" + driver.name() + ", " + pnpState + ")";
    }
}
