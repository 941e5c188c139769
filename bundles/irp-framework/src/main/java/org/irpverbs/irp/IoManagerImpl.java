package org.irpverbs.irp;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import org.osgi.util.promise.Deferred;
import org.osgi.util.promise.Promise;
import org.osgi.util.promise.PromiseFactory;

/** The I/O manager. See {@link IoManager}. */
final class IoManagerImpl implements IoManager {
    /** Largest buffer the device-control path accepts from an untrusted caller. */
    static final int MAX_USER_BUFFER = 16 << 20;

    private final String name;
    private final DpcPool dpcs;
    private final DpcPool systemWorker;
    private final Timers timers;
    private final PromiseFactory promises;
    // Lock-free collections only: devices are created, deleted and looked up at DISPATCH, where a
    // contended monitor (CopyOnWriteArrayList, a ConcurrentHashMap bin) would block the thread.
    private final Map<String, DeviceObject> byName = new ConcurrentSkipListMap<>();
    private final ConcurrentLinkedQueue<DeviceObject> devices = new ConcurrentLinkedQueue<>();
    private final Map<Long, FileObject> openFiles = new ConcurrentSkipListMap<>();
    private final AtomicLong nextFileId = new AtomicLong(1);
    private final PnpManager pnp;

    IoManagerImpl(String name, int completionThreads, DeviceInterfaceListener listener) {
        this.name = name;
        this.dpcs = new DpcPool(name, completionThreads, true);
        this.systemWorker = new DpcPool(name + "-system", 1, false);
        this.timers = new Timers(dpcs, name);
        this.promises = new PromiseFactory(dpcs::queue);
        this.pnp = new PnpManager(this, listener);
    }

    PnpManager pnp() {
        return pnp;
    }

    PromiseFactory promises() {
        return promises;
    }

    void shutdown() {
        timers.shutdown();
        dpcs.shutdown();
        systemWorker.shutdown();
    }

    // ---- devices ----

    @Override
    public DeviceObject createDevice(DriverObject driver, String deviceName, DeviceObject.Kind kind, Object extension) {
        return register(new DeviceObject(this, requireDriver(driver), validName(deviceName), kind, null, extension));
    }

    @Override
    public DeviceObject createPhysicalDevice(DriverObject busDriver, String deviceName, List<String> hardwareIds,
            Object extension) {
        if (hardwareIds == null || hardwareIds.isEmpty() || hardwareIds.stream().anyMatch(h -> h == null || h.isBlank())) {
            throw new IllegalArgumentException("a physical device needs at least one non-blank hardware ID");
        }
        return register(new DeviceObject(this, requireDriver(busDriver), validName(deviceName), DeviceObject.Kind.PHYSICAL,
                hardwareIds, extension));
    }

    private static DriverObject requireDriver(DriverObject driver) {
        if (driver == null) {
            throw new IllegalArgumentException("a device needs a driver");
        }
        return driver;
    }

    private static String validName(String deviceName) {
        if (deviceName == null || deviceName.isBlank()) {
            throw new IllegalArgumentException("device name must not be blank");
        }
        return deviceName;
    }

    private DeviceObject register(DeviceObject device) {
        if (byName.putIfAbsent(device.name(), device) != null) {
            throw new IllegalArgumentException("a device named '" + device.name() + "' already exists");
        }
        devices.add(device);
        return device;
    }

    @Override
    public void attach(DeviceObject device, DeviceObject target) {
        if (device == null || target == null) {
            throw new IllegalArgumentException("attach needs a device and a target");
        }
        if (device.lowerDevice() != null || device.kind() == DeviceObject.Kind.PHYSICAL) {
            throw new IllegalArgumentException(device.name() + " cannot be attached: it is a physical device or already attached");
        }
        if (target.pnpState() == PnpState.DELETED) {
            throw new IllegalArgumentException("cannot attach to deleted device " + target.name());
        }
        device.attachOnto(target);
    }

    void deleteDevice(DeviceObject device) {
        device.setPnpState(PnpState.DELETED);
        device.detach();
        byName.remove(device.name(), device);
        devices.remove(device);
        pnp.deviceDeleted(device);
    }

    void resetPhysicalDevice(DeviceObject pdo) {
        pdo.resetForNextStack();
    }

    @Override
    public List<DeviceObject> devices() {
        return new ArrayList<>(devices);
    }

    @Override
    public DeviceObject device(String deviceName) {
        return deviceName == null ? null : byName.get(deviceName);
    }

    @Override
    public Map<DeviceObject, List<DeviceObject>> busRelations() {
        return pnp.busRelations();
    }

    // ---- requests ----

    @Override
    public int send(DeviceObject target, Irp irp) {
        DeviceObject top = target.attachedTop();
        if (irp.stackSize() < top.stackSize()) {
            throw new IllegalArgumentException("the request has " + irp.stackSize() + " stack location(s); the stack of "
                    + top.name() + " needs " + top.stackSize());
        }
        long timeout = irp.timeoutNanos();
        if (timeout > 0) {
            long generation = irp.generation();
            irp.armedTimer = timers.schedule(timeout, () -> irp.cancel(NtStatus.IO_TIMEOUT, generation));
        }
        return top.callDriver(irp);
    }

    @Override
    public Promise<Irp> submit(DeviceObject target, Irp irp) {
        Deferred<Irp> deferred = promises.deferred();
        irp.setCompletionListener(deferred::resolve);
        try {
            send(target, irp);
        } catch (RuntimeException e) {
            if (!irp.isActive() && !irp.isCompleted()) {
                deferred.fail(e);
            }
        }
        return deferred.getPromise();
    }

    @Override
    public Promise<IoResult> internalDeviceControl(DeviceObject target, int ioControlCode, Object argument, ByteBuffer input,
            ByteBuffer output) {
        Irp irp = Irp.forDevice(target);
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL).setIoControlCode(ioControlCode)
                .setArgument(argument).setInputBuffer(input).setOutputBuffer(output);
        int outStart = output == null ? 0 : output.position();
        return submit(target, irp).map(done -> result(done, output, outStart));
    }

    private static IoResult result(Irp done, ByteBuffer output, int outStart) {
        ByteBuffer returned = null;
        if (output != null && NtStatus.isSuccess(done.status())) {
            int n = (int) Math.min(done.information(), output.capacity() - outStart);
            returned = output.duplicate().limit(outStart + n).position(outStart).slice();
        }
        return new IoResult(done.status(), done.information(), returned);
    }

    @Override
    public Promise<FileObject> open(DeviceObject target, int access, RequestorMode mode, Object owner) {
        if (target == null || mode == null) {
            return promises.failed(new IoStatusException(NtStatus.INVALID_PARAMETER, "open needs a device and a requestor mode"));
        }
        if ((access & ~(IoctlCode.FILE_READ_ACCESS | IoctlCode.FILE_WRITE_ACCESS)) != 0) {
            return promises.failed(new IoStatusException(NtStatus.INVALID_PARAMETER,
                    "access must combine FILE_READ_ACCESS (1) and FILE_WRITE_ACCESS (2), was " + access));
        }
        FileObject file = new FileObject(nextFileId.getAndIncrement(), target, access, mode, owner);
        Irp irp = Irp.forDevice(target).setRequestorMode(mode);
        irp.nextLocation().setMajorFunction(MajorFunction.CREATE).setFileObject(file);
        return submit(target, irp).flatMap(done -> {
            if (!NtStatus.isSuccess(done.status())) {
                return promises.failed(new IoStatusException(done.status(), "CREATE on " + target.name() + " failed"));
            }
            openFiles.put(file.id(), file);
            return promises.resolved(file);
        });
    }

    @Override
    public Promise<IoResult> deviceIoControl(Object owner, FileObject file, int code, ByteBuffer input, int outputLength) {
        if (file == null || openFiles.get(file.id()) != file || file.isClosing()) {
            return promises.failed(new IoStatusException(NtStatus.INVALID_HANDLE, "the handle is not open"));
        }
        if (file.requestorMode() == RequestorMode.USER && file.owner() != owner) {
            return promises.failed(new IoStatusException(NtStatus.INVALID_HANDLE, "the handle belongs to another client"));
        }
        int inputLength = input == null ? 0 : input.remaining();
        if (outputLength < 0 || outputLength > MAX_USER_BUFFER || inputLength > MAX_USER_BUFFER) {
            return promises.failed(new IoStatusException(NtStatus.INVALID_PARAMETER,
                    "buffer lengths must be 0.." + MAX_USER_BUFFER + " (input " + inputLength + ", output " + outputLength + ")"));
        }
        int required = IoctlCode.access(code);
        if ((required & ~file.grantedAccess()) != 0) {
            return promises.failed(new IoStatusException(NtStatus.ACCESS_DENIED,
                    IoctlCode.toString(code) + " needs access " + required + "; the handle has " + file.grantedAccess()));
        }
        int method = IoctlCode.method(code);
        if (method == IoctlCode.METHOD_NEITHER && file.requestorMode() == RequestorMode.USER) {
            return promises.failed(new IoStatusException(NtStatus.INVALID_PARAMETER,
                    "METHOD_NEITHER is only for kernel callers: " + IoctlCode.toString(code)));
        }
        ByteBuffer in;
        ByteBuffer out;
        if (method == IoctlCode.METHOD_BUFFERED) {
            // one system buffer for both directions, as the I/O manager allocates it
            ByteBuffer system = ByteBuffer.allocate(Math.max(inputLength, outputLength));
            if (input != null) {
                system.put(input.duplicate());
            }
            in = system.duplicate().position(0).limit(inputLength).slice().asReadOnlyBuffer();
            out = system.duplicate().position(0).limit(outputLength).slice();
        } else {
            in = ByteBuffer.allocate(inputLength);
            if (input != null) {
                in.put(input.duplicate()).flip();
            }
            in = in.asReadOnlyBuffer();
            out = ByteBuffer.allocate(outputLength);
        }
        Irp irp = Irp.forDevice(file.device()).setRequestorMode(file.requestorMode());
        irp.nextLocation().setMajorFunction(MajorFunction.DEVICE_CONTROL).setIoControlCode(code).setFileObject(file)
                .setInputBuffer(in).setOutputBuffer(out);
        return submit(file.device(), irp).map(done -> {
            if (NtStatus.isSuccess(done.status()) && done.information() > outputLength) {
                DriverVerifier.report(file.device().attachedTop().name() + " returned " + done.information()
                        + " bytes for an output buffer of " + outputLength);
                return new IoResult(NtStatus.INTERNAL_ERROR, 0, null);
            }
            return result(done, out, 0);
        });
    }

    @Override
    public Promise<Void> close(FileObject file) {
        if (file == null || openFiles.get(file.id()) != file || !file.markClosing()) {
            return promises.failed(new IoStatusException(NtStatus.INVALID_HANDLE, "the handle is not open"));
        }
        // CLEANUP: the handle's queued requests are cancelled in every queue of the stack
        for (DeviceObject d = file.device().attachedTop(); d != null; d = d.lowerDevice()) {
            for (CancelSafeQueue queue : d.queues()) {
                queue.flush(NtStatus.CANCELLED, irp -> irp.currentLocation().fileObject() == file);
            }
        }
        Irp cleanup = Irp.forDevice(file.device()).setRequestorMode(file.requestorMode());
        cleanup.nextLocation().setMajorFunction(MajorFunction.CLEANUP).setFileObject(file);
        return submit(file.device(), cleanup).flatMap(c -> {
            Irp close = Irp.forDevice(file.device()).setRequestorMode(file.requestorMode());
            close.nextLocation().setMajorFunction(MajorFunction.CLOSE).setFileObject(file);
            return submit(file.device(), close);
        }).map(c -> {
            openFiles.remove(file.id());
            return null;
        });
    }

    // ---- execution ----

    @Override
    public void queueDpc(Runnable work) {
        dpcs.queue(work);
    }

    @Override
    public void queueWorkItem(Runnable work) {
        systemWorker.queue(work);
    }

    @Override
    public Cancellable schedule(long delayNanos, Runnable work) {
        return timers.schedule(delayNanos, work);
    }

    @Override
    public int completionThreads() {
        return dpcs.threads();
    }

    // ---- PnP ----

    @Override
    public void invalidateDeviceRelations(DeviceObject busDevice) {
        pnp.invalidateDeviceRelations(busDevice);
    }

    @Override
    public Promise<Void> surpriseRemove(DeviceObject device) {
        return pnp.surpriseRemove(device);
    }

    @Override
    public Promise<Void> restartDevice(DeviceObject physicalDevice) {
        return pnp.restart(physicalDevice);
    }

    @Override
    public <T> Promise<T> queryInterface(DeviceObject device, Class<T> type) {
        PnpDispatch.InterfaceQuery query = new PnpDispatch.InterfaceQuery(type);
        Irp irp = Irp.forDevice(device);
        irp.nextLocation().setMajorFunction(MajorFunction.PNP).setMinorFunction(PnpMinorFunction.QUERY_INTERFACE)
                .setArgument(query);
        return submit(device, irp).flatMap(done -> {
            if (NtStatus.isSuccess(done.status()) && type.isInstance(query.result)) {
                return promises.resolved(type.cast(query.result));
            }
            return promises.failed(new IoStatusException(NtStatus.NOT_SUPPORTED,
                    "no device in the stack of " + device.name() + " offers " + type.getName()));
        });
    }

    @Override
    public Promise<Void> pnpIdle() {
        return pnp.idle();
    }

    @Override
    public String toString() {
        return "IoManager " + name;
    }
}
