package org.irpverbs.hca.core.internal;

import org.irpverbs.hca.core.CommandRunner;
import org.irpverbs.irp.CancelSafeQueue;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.VerbsRequest;

/**
 * CREATE_CQ ([context memory] SW2HW_CQ), RESIZE_CQ, DESTROY_CQ (HW2SW_CQ [release]) and
 * REQ_NOTIFY_CQ. A notification is a request that stays pending in the CQ's cancel-safe queue; the
 * speed path's arm (DataPath.armCq) makes the hardware raise a completion event at the CQ's next
 * completion, and that event completes every request waiting on the CQ (claim 2 of docs/architecture.md §1: a CQ
 * notification completes an IRP). The queue is made when the CQ number is first notified and kept
 * for later CQs with the same number, so the device's list of queues stays bounded.
 */
final class CqVerbs {
    private CqVerbs() {}

    /** The entries a CQ gets: the next power of two (the hardware's ring size). */
    static int capacityFor(int entries) {
        return entries <= 1 ? 1 : Integer.highestOneBit(entries - 1) << 1;
    }

    private static String badSize(int entries, int max) {
        if (entries < 1 || entries > max) {
            return "CQ entries must be 1.." + max + ", was " + entries;
        }
        return null;
    }

    static int create(VerbCall call) {
        VerbsRequest.CreateCq request = (VerbsRequest.CreateCq) call.request;
        FunctionDevice device = call.device;
        String bad = badSize(request.entries, device.limits().maxCqe());
        if (bad != null) {
            return call.reject(NtStatus.INVALID_PARAMETER, bad);
        }
        int capacity = capacityFor(request.entries);
        Tables t = device.tables();
        int cqn = t.cqs.allocate();
        if (cqn < 0) {
            return call.reject(NtStatus.INSUFFICIENT_RESOURCES, "the CQ table is full (" + t.cqs.capacity() + " CQs)");
        }
        int result = call.pend();
        Undo undo = new Undo().push(() -> t.cqs.free(cqn));
        call.acquireOrUndo(IcmTable.CQC, cqn, 1, undo, "CREATE_CQ: context memory for CQ " + cqn, () ->
                call.runOrUndo(new Command.Sw2HwCq(cqn, capacity, FunctionDevice.EQN), undo, "CREATE_CQ", () -> {
                    CqContext cq = new CqContext(cqn);
                    CompletionQueue handle = new CompletionQueue(device.fdo(), call.file, cqn, cq, capacity);
                    cq.handle = handle;
                    t.cqByNumber.set(cqn, cq);
                    call.succeed(handle);
                }));
        return result;
    }

    static int resize(VerbCall call) {
        VerbsRequest.ResizeCq request = (VerbsRequest.ResizeCq) call.request;
        FunctionDevice device = call.device;
        String invalid = device.invalid(request.cq, "CQ", call.file, CqContext.class);
        if (invalid != null) {
            return call.reject(NtStatus.INVALID_HANDLE, invalid);
        }
        String bad = badSize(request.entries, device.limits().maxCqe());
        if (bad != null) {
            return call.reject(NtStatus.INVALID_PARAMETER, bad);
        }
        CqContext cq = (CqContext) request.cq.driverState();
        String busy = cq.life.begin("CQ " + cq.cqn);
        if (busy != null) {
            return call.reject(NtStatus.INVALID_DEVICE_STATE, busy);
        }
        int capacity = capacityFor(request.entries);
        int result = call.pend();
        call.commands().run(new Command.ResizeCq(cq.cqn, capacity), (status, resize) -> {
            cq.life.end();
            if (!NtStatus.isSuccess(status)) {
                call.fail(status, VerbCall.commandFailed("RESIZE_CQ", status, resize));
                return;
            }
            request.cq.setCapacity(capacity);
            call.succeed(capacity);
        });
        return result;
    }

    static int destroy(VerbCall call, CompletionQueue handle) {
        FunctionDevice device = call.device;
        String invalid = device.invalid(handle, "CQ", call.file, CqContext.class);
        if (invalid != null) {
            return call.reject(NtStatus.INVALID_HANDLE, invalid);
        }
        CqContext cq = (CqContext) handle.driverState();
        String busy = cq.life.beginDestroy("CQ " + cq.cqn, "QPs");
        if (busy != null) {
            return call.reject(handle.isDestroyed() ? NtStatus.INVALID_HANDLE : NtStatus.INVALID_DEVICE_STATE, busy);
        }
        // first: a REQ_NOTIFY_CQ that checks after queueing sees it and does not wait for ever
        handle.markDestroyed();
        int result = call.pend();
        Tables t = device.tables();
        CommandRunner commands = call.commands();
        commands.run(new Command.Hw2SwCq(cq.cqn), (status, hw2sw) -> {
            String problem = NtStatus.isSuccess(status) ? null : VerbCall.commandFailed("DESTROY_CQ", status, hw2sw);
            device.memory().release(IcmTable.CQC, cq.cqn, 1, commands, released -> {
                CancelSafeQueue notifications = t.existingNotifyQueue(cq.cqn);
                if (notifications != null) {
                    notifications.flush(NtStatus.CANCELLED);
                }
                t.cqByNumber.compareAndSet(cq.cqn, cq, null);
                t.cqs.free(cq.cqn);
                cq.life.destroyed();
                call.destroyed("CQ " + cq.cqn, status, problem);
            });
        });
        return result;
    }

    /**
     * REQ_NOTIFY_CQ: queue the request, then arm the CQ. The request is in the queue before the
     * hardware can raise the event, so the event always finds it; a destroy that began meanwhile is
     * seen by the check after queueing.
     */
    static int notify(VerbCall call) {
        VerbsRequest.NotifyCq request = (VerbsRequest.NotifyCq) call.request;
        FunctionDevice device = call.device;
        String invalid = device.invalid(request.cq, "CQ", call.file, CqContext.class);
        if (invalid != null) {
            return call.reject(NtStatus.INVALID_HANDLE, invalid);
        }
        int cqn = request.cq.number();
        CancelSafeQueue queue = device.tables().notifyQueue(cqn);
        // identifies this send of the request to the checks below, should it complete and be reused meanwhile
        Object token = new Object();
        call.irp.setDriverContext(token);
        int status = queue.insert(call.irp);
        if (status != NtStatus.PENDING) {
            return status;
        }
        if (request.cq.isDestroyed()) {
            takeBack(queue, token, request, NtStatus.CANCELLED, "CQ " + cqn + " was destroyed");
            return NtStatus.PENDING;
        }
        if (!device.dataPath().armCq(cqn, request.solicitedOnly)) {
            takeBack(queue, token, request, NtStatus.INVALID_DEVICE_STATE,
                    "the hardware refused to arm CQ " + cqn);
        }
        return NtStatus.PENDING;
    }

    private static void takeBack(CancelSafeQueue queue, Object token, VerbsRequest<?> request, int status, String why) {
        var irp = queue.removeFirst(r -> r.driverContext() == token);
        if (irp != null) {
            request.setError(why);
            irp.complete(status);
        }
    }
}
