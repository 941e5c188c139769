package org.irpverbs.irp;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ProviderType;
import org.osgi.util.promise.Promise;

/**
 * The I/O manager: creates and attaches devices, sends requests into stacks, runs DPCs and timers
 * at DISPATCH on its small fixed completion pool, and (with its PnP manager) builds and tears down
 * device stacks as drivers and hardware come and go. Registered as an OSGi service by the
 * framework bundle.
 *
 * <p>Thread-safe. Every method is non-blocking and may be called at DISPATCH.
 */
@ProviderType
public interface IoManager {

    // ---- devices ----

    /**
     * {@code IoCreateDevice}. Names are unique within the manager.
     *
     * @throws IllegalArgumentException if the name is blank or taken
     */
    DeviceObject createDevice(DriverObject driver, String name, DeviceObject.Kind kind, Object extension);

    /**
     * Creates a physical device (PDO) for a child a bus driver enumerated, with its hardware IDs
     * (most specific first). The bus driver reports it from {@link PnpHandler#queryBusRelations}.
     */
    DeviceObject createPhysicalDevice(DriverObject busDriver, String name, List<String> hardwareIds, Object extension);

    /** {@code IoAttachDeviceToDeviceStack}: puts {@code device} on top of {@code target}'s stack. */
    void attach(DeviceObject device, DeviceObject target);

    /** Every live device, in creation order (for shells and consoles). */
    List<DeviceObject> devices();

    /** A device by name, or null. */
    DeviceObject device(String name);

    /** The children each bus device reported last, for shells. */
    Map<DeviceObject, List<DeviceObject>> busRelations();

    // ---- requests ----

    /**
     * Sends a request from outside any stack to the top of {@code target}'s stack, arming its
     * timeout if it has one. Returns what the top dispatch routine returned (often PENDING); the
     * request's completion listener runs when it completes.
     */
    int send(DeviceObject target, Irp irp);

    /** {@link #send} with the completion seen as a promise resolved with the request itself. */
    Promise<Irp> submit(DeviceObject target, Irp irp);

    /**
     * Builds and sends an internal device control request (trusted caller, {@link RequestorMode#KERNEL}):
     * the buffers are passed as they are; {@code argument} carries typed parameters.
     */
    Promise<IoResult> internalDeviceControl(DeviceObject target, int ioControlCode, Object argument, ByteBuffer input,
            ByteBuffer output);

    /**
     * Opens a handle (CREATE) on {@code target} for {@code owner}. {@code access} is a combination
     * of {@link IoctlCode#FILE_READ_ACCESS} and {@link IoctlCode#FILE_WRITE_ACCESS}.
     */
    Promise<FileObject> open(DeviceObject target, int access, RequestorMode mode, Object owner);

    /**
     * The device-control path ({@code DeviceIoControl}): validates the handle (it must be open and
     * belong to {@code owner}), the access the IOCTL requires, its transfer method and the buffer
     * sizes before any driver sees the request; copies buffered data in and out.
     * Fails with {@link IoStatusException} carrying INVALID_HANDLE, ACCESS_DENIED or
     * INVALID_PARAMETER for bad input; otherwise resolves with the driver's result.
     */
    Promise<IoResult> deviceIoControl(Object owner, FileObject file, int ioControlCode, ByteBuffer input,
            int outputLength);

    /** CLEANUP (cancelling the handle's queued requests) then CLOSE. */
    Promise<Void> close(FileObject file);

    // ---- execution ----

    /** Runs {@code work} at DISPATCH on the completion pool (a DPC). */
    void queueDpc(Runnable work);

    /**
     * {@code IoQueueWorkItem}: runs {@code work} at PASSIVE on the manager's single system worker
     * thread, for the rare work that must block (registering OSGi services, file I/O at setup).
     * Never for per-request work.
     */
    void queueWorkItem(Runnable work);

    /** Runs {@code work} as a DPC after {@code delayNanos}; a timer, never a sleeping thread. */
    Cancellable schedule(long delayNanos, Runnable work);

    /** The completion pool's thread count (fixed). */
    int completionThreads();

    // ---- PnP ----

    /** {@code IoInvalidateDeviceRelations}: the bus's children changed; the PnP manager re-enumerates. */
    void invalidateDeviceRelations(DeviceObject busDevice);

    /**
     * The hardware under {@code device}'s stack failed: SURPRISE_REMOVAL then REMOVE for the stack.
     * Requests in flight complete with {@link NtStatus#DEVICE_REMOVED} (queued ones at once, the
     * rest as the drivers fail them); the physical device stays, unstarted, until
     * {@link #restartDevice}.
     */
    Promise<Void> surpriseRemove(DeviceObject device);

    /** Rebuilds and starts the stack of a physical device that has no driver running it. */
    Promise<Void> restartDevice(DeviceObject physicalDevice);

    /**
     * QUERY_INTERFACE down {@code device}'s stack: the first device that answers with an object of
     * {@code type} wins (how a client obtains a direct-call speed-path interface). Fails with
     * {@link IoStatusException} NOT_SUPPORTED if none does.
     */
    <T> Promise<T> queryInterface(DeviceObject device, Class<T> type);

    /** Completes when all PnP work queued so far has been done (tests and shells use it). */
    Promise<Void> pnpIdle();
}
