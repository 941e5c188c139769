package org.irpverbs.irp;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The framework's PnP dispatch routine, used by every driver that registers none of its own. It
 * applies the Windows ordering rules (see {@link PnpMinorFunction}) around the driver's
 * {@link PnpHandler} callbacks, never blocking: where Windows waits (START after the lower
 * devices, REMOVE after the requests in flight) it continues from a completion routine or a
 * drain callback instead.
 */
final class PnpDispatch implements DispatchRoutine {
    static final PnpDispatch INSTANCE = new PnpDispatch();

    /** Argument of QUERY_INTERFACE: the type asked for and the answer. */
    static final class InterfaceQuery {
        final Class<?> type;
        Object result;

        InterfaceQuery(Class<?> type) {
            this.type = type;
        }
    }

    /** Argument of QUERY_DEVICE_RELATIONS (bus relations). */
    static final class RelationsQuery {
        List<DeviceObject> children;
    }

    private PnpDispatch() {}

    @Override
    public int dispatch(DeviceObject device, Irp irp) {
        IoStackLocation loc = irp.currentLocation();
        PnpHandler handler = device.driver().pnpHandler();
        PnpMinorFunction minor = loc.minorFunction();
        if (minor == null) {
            irp.complete(NtStatus.INVALID_DEVICE_REQUEST);
            return NtStatus.INVALID_DEVICE_REQUEST;
        }
        switch (minor) {
            case START_DEVICE:
                return start(device, irp, handler);
            case QUERY_REMOVE_DEVICE: {
                int veto = callSafely(() -> handler.queryRemove(device));
                if (!NtStatus.isSuccess(veto)) {
                    irp.complete(veto);
                    return veto;
                }
                device.setPnpState(PnpState.REMOVE_PENDING);
                return passDownOrComplete(device, irp, NtStatus.SUCCESS);
            }
            case CANCEL_REMOVE_DEVICE:
                return afterLower(device, irp, () -> {
                    handler.cancelRemove(device);
                    device.removeLock().admit();
                    device.setPnpState(PnpState.STARTED);
                });
            case SURPRISE_REMOVAL:
                device.removeLock().refuse(NtStatus.DEVICE_REMOVED);
                device.setPnpState(PnpState.SURPRISE_REMOVED);
                flushQueues(device, NtStatus.DEVICE_REMOVED);
                try {
                    handler.surpriseRemoval(device);
                } catch (RuntimeException e) {
                    DriverVerifier.report(device.name() + ": surpriseRemoval threw " + e);
                }
                return passDownOrComplete(device, irp, NtStatus.SUCCESS);
            case REMOVE_DEVICE:
                return remove(device, irp, handler);
            case QUERY_INTERFACE: {
                InterfaceQuery query = (InterfaceQuery) loc.argument();
                Object answer = null;
                try {
                    answer = handler.queryInterface(device, query.type);
                } catch (RuntimeException e) {
                    DriverVerifier.report(device.name() + ": queryInterface threw " + e);
                }
                if (answer != null) {
                    query.result = answer;
                    irp.complete(NtStatus.SUCCESS);
                    return NtStatus.SUCCESS;
                }
                return passDownOrComplete(device, irp, NtStatus.NOT_SUPPORTED);
            }
            case QUERY_DEVICE_RELATIONS: {
                RelationsQuery query = (RelationsQuery) loc.argument();
                try {
                    List<DeviceObject> children = handler.queryBusRelations(device);
                    if (children != null) {
                        query.children = List.copyOf(children);
                    }
                } catch (RuntimeException e) {
                    DriverVerifier.report(device.name() + ": queryBusRelations threw " + e);
                }
                return passDownOrComplete(device, irp, query.children != null ? NtStatus.SUCCESS : NtStatus.NOT_SUPPORTED);
            }
            default:
                irp.complete(NtStatus.NOT_SUPPORTED);
                return NtStatus.NOT_SUPPORTED;
        }
    }

    /** START: the devices below first, then this one's handler, whose result is the status. */
    private static int start(DeviceObject device, Irp irp, PnpHandler handler) {
        DeviceObject lower = device.lowerDevice();
        if (lower == null) {
            irp.markPending();
            runStart(device, irp, handler);
            return NtStatus.PENDING;
        }
        irp.copyCurrentToNext();
        irp.setCompletionRoutine((self, request, context) -> {
            if (!NtStatus.isSuccess(request.status())) {
                return CompletionRoutine.CONTINUE_COMPLETION;
            }
            runStart(self, request, handler);
            return NtStatus.MORE_PROCESSING_REQUIRED;
        }, null);
        return lower.callDriver(irp);
    }

    private static void runStart(DeviceObject device, Irp irp, PnpHandler handler) {
        stage(device, "start", () -> handler.start(device)).whenComplete((status, failure) -> {
            int result = failure != null || status == null ? NtStatus.INTERNAL_ERROR : status;
            if (failure != null) {
                DriverVerifier.report(device.name() + ": start failed with " + failure);
            }
            if (NtStatus.isSuccess(result)) {
                device.setPnpState(PnpState.STARTED);
            }
            irp.complete(result);
        });
    }

    /** REMOVE: refuse new requests, fail queued ones, wait for the rest, then remove downwards. */
    private static int remove(DeviceObject device, Irp irp, PnpHandler handler) {
        irp.markPending();
        IoManagerImpl io = (IoManagerImpl) device.ioManager();
        device.removeLock().beginRemove(NtStatus.DELETE_PENDING,
                () -> io.queueDpc(() -> continueRemove(io, device, irp, handler)));
        flushQueues(device, NtStatus.DELETE_PENDING);
        return NtStatus.PENDING;
    }

    private static void continueRemove(IoManagerImpl io, DeviceObject device, Irp irp, PnpHandler handler) {
        stage(device, "remove", () -> handler.remove(device)).whenComplete((status, failure) -> {
            if (failure != null) {
                DriverVerifier.report(device.name() + ": remove failed with " + failure);
            }
            DeviceObject lower = device.lowerDevice();
            if (lower != null) {
                irp.copyCurrentToNext();
                irp.setCompletionRoutine((self, request, context) -> {
                    io.deleteDevice(self);
                    return CompletionRoutine.CONTINUE_COMPLETION;
                }, null);
                lower.callDriver(irp);
            } else {
                if (device.reportedMissing) {
                    io.deleteDevice(device);
                } else {
                    // the hardware is still there: the PDO stays, ready for the next driver
                    io.resetPhysicalDevice(device);
                }
                irp.complete(NtStatus.SUCCESS);
            }
        });
    }

    private static int afterLower(DeviceObject device, Irp irp, Runnable then) {
        DeviceObject lower = device.lowerDevice();
        if (lower == null) {
            then.run();
            irp.complete(NtStatus.SUCCESS);
            return NtStatus.SUCCESS;
        }
        irp.copyCurrentToNext();
        irp.setCompletionRoutine((self, request, context) -> {
            then.run();
            return CompletionRoutine.CONTINUE_COMPLETION;
        }, null);
        return lower.callDriver(irp);
    }

    private static int passDownOrComplete(DeviceObject device, Irp irp, int statusAtBottom) {
        DeviceObject lower = device.lowerDevice();
        if (lower == null) {
            irp.complete(statusAtBottom);
            return statusAtBottom;
        }
        irp.skipCurrentLocation();
        return lower.callDriver(irp);
    }

    static void flushQueues(DeviceObject device, int status) {
        for (CancelSafeQueue queue : device.queues()) {
            queue.flush(status);
        }
    }

    private static int callSafely(java.util.function.IntSupplier call) {
        try {
            return call.getAsInt();
        } catch (RuntimeException e) {
            DriverVerifier.report("PnP callback threw " + e);
            return NtStatus.INTERNAL_ERROR;
        }
    }

    private static CompletionStage<Integer> stage(DeviceObject device, String what,
            java.util.function.Supplier<CompletionStage<Integer>> call) {
        try {
            CompletionStage<Integer> s = call.get();
            if (s == null) {
                DriverVerifier.report(device.name() + ": " + what + " returned no stage");
                return java.util.concurrent.CompletableFuture.completedFuture(NtStatus.INTERNAL_ERROR);
            }
            return s;
        } catch (RuntimeException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }
}
