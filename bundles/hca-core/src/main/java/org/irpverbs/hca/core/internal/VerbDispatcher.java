package org.irpverbs.hca.core.internal;

import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoStackLocation;
import org.irpverbs.irp.IoctlCode;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.AddressHandle;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.MemoryRegion;
import org.irpverbs.verbs.ProtectionDomain;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.VerbsIoctl;
import org.irpverbs.verbs.VerbsRequest;

/**
 * INTERNAL_DEVICE_CONTROL of an HCA function device: checks that the request is a verbs IOCTL whose
 * argument is the matching {@link VerbsRequest} and that the device is started, then hands it to
 * the verb. Unknown IOCTL: INVALID_DEVICE_REQUEST; a missing or mismatched argument:
 * INVALID_PARAMETER; a device not (or no longer) started: DEVICE_NOT_READY. Runs at the caller's
 * level.
 *
 * <p>Thread-safe (stateless).
 */
final class VerbDispatcher {
    @FunctionalInterface
    private interface Verb {
        int serve(VerbCall call);
    }

    private static final int FIRST_FUNCTION = 0x800;
    private static final Verb[] VERBS = new Verb[21];
    /** The code registered for each function number. */
    private static final int[] CODES = new int[21];

    static {
        register(VerbsIoctl.QUERY_CA, QueryVerbs::queryCa);
        register(VerbsIoctl.QUERY_PORT, QueryVerbs::queryPort);
        register(VerbsIoctl.ALLOC_PD, PdVerbs::alloc);
        register(VerbsIoctl.DEALLOC_PD, VerbDispatcher::destroy);
        register(VerbsIoctl.REG_MR, MrVerbs::register);
        register(VerbsIoctl.DEREG_MR, VerbDispatcher::destroy);
        register(VerbsIoctl.CREATE_CQ, CqVerbs::create);
        register(VerbsIoctl.RESIZE_CQ, CqVerbs::resize);
        register(VerbsIoctl.DESTROY_CQ, VerbDispatcher::destroy);
        register(VerbsIoctl.REQ_NOTIFY_CQ, CqVerbs::notify);
        register(VerbsIoctl.CREATE_QP, QpVerbs::create);
        register(VerbsIoctl.MODIFY_QP, QpVerbs::modify);
        register(VerbsIoctl.QUERY_QP, QpVerbs::query);
        register(VerbsIoctl.DESTROY_QP, VerbDispatcher::destroy);
        register(VerbsIoctl.CREATE_AH, AhVerbs::create);
        register(VerbsIoctl.DESTROY_AH, VerbDispatcher::destroy);
        register(VerbsIoctl.ATTACH_MCAST, call -> call.device.multicast().serve(call));
        register(VerbsIoctl.DETACH_MCAST, call -> call.device.multicast().serve(call));
        register(VerbsIoctl.GET_ASYNC_EVENT, call -> call.device.async().request(call.irp,
                (VerbsRequest.GetAsyncEvent) call.request));
        register(VerbsIoctl.CREATE_SPECIAL_QP, QpVerbs::createSpecial);
        register(VerbsIoctl.LOCAL_MAD, QueryVerbs::localMad);
    }

    private static void register(int code, Verb verb) {
        VERBS[IoctlCode.function(code) - FIRST_FUNCTION] = verb;
        CODES[IoctlCode.function(code) - FIRST_FUNCTION] = code;
    }

    private static Verb verb(int code) {
        int index = IoctlCode.function(code) - FIRST_FUNCTION;
        if (IoctlCode.deviceType(code) != IoctlCode.FILE_DEVICE_INFINIBAND || index < 0 || index >= VERBS.length) {
            return null;
        }
        return VERBS[index];
    }

    private VerbDispatcher() {}

    static int dispatch(DeviceObject fdo, Irp irp) {
        IoStackLocation location = irp.currentLocation();
        int code = location.ioControlCode();
        Verb verb = verb(code);
        if (verb == null || verbCode(code) != code) {
            irp.complete(NtStatus.INVALID_DEVICE_REQUEST);
            return NtStatus.INVALID_DEVICE_REQUEST;
        }
        if (!(location.argument() instanceof VerbsRequest<?> request)) {
            // no argument to say why in: the status alone must do
            irp.complete(NtStatus.INVALID_PARAMETER);
            return NtStatus.INVALID_PARAMETER;
        }
        FunctionDevice device = fdo.extension(FunctionDevice.class);
        VerbCall call = new VerbCall(device, irp, request);
        if (request.ioctl() != code) {
            return call.reject(NtStatus.INVALID_PARAMETER, "the argument is a " + VerbsIoctl.name(request.ioctl())
                    + " request, but the IOCTL is " + VerbsIoctl.name(code));
        }
        if (!device.isStarted()) {
            return call.reject(NtStatus.DEVICE_NOT_READY, device.name() + " is " + device.state() + ", not STARTED");
        }
        return verb.serve(call);
    }

    /** The exact verbs code with the same function number, to reject look-alike codes (other method or access). */
    private static int verbCode(int code) {
        int index = IoctlCode.function(code) - FIRST_FUNCTION;
        return index >= 0 && index < CODES.length ? CODES[index] : -1;
    }

    /** The destroy verbs share one argument type; the handle's class picks the verb. */
    private static int destroy(VerbCall call) {
        Object object = ((VerbsRequest.Destroy) call.request).object;
        if (object instanceof ProtectionDomain pd) {
            return PdVerbs.dealloc(call, pd);
        } else if (object instanceof MemoryRegion mr) {
            return MrVerbs.deregister(call, mr);
        } else if (object instanceof CompletionQueue cq) {
            return CqVerbs.destroy(call, cq);
        } else if (object instanceof QueuePair qp) {
            return QpVerbs.destroy(call, qp);
        } else if (object instanceof AddressHandle ah) {
            return AhVerbs.destroy(call, ah);
        }
        return call.reject(NtStatus.INVALID_HANDLE, "cannot destroy a " + object.getClass().getName());
    }
}
