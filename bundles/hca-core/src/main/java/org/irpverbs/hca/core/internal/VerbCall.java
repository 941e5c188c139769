package org.irpverbs.hca.core.internal;

import org.irpverbs.hca.core.CommandRunner;
import org.irpverbs.irp.FileObject;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.cmdif.HcrRequest;
import org.irpverbs.verbs.VerbsRequest;

/**
 * One verbs request being served: the request packet, its typed argument, the caller's file object
 * (null for kernel clients) and the runner that sends the verb's commands with its own request.
 * Owned by whichever step of the verb runs now; not thread-safe.
 */
final class VerbCall {
    final FunctionDevice device;
    final Irp irp;
    final VerbsRequest<?> request;
    final FileObject file;
    private CommandRunner runner;

    VerbCall(FunctionDevice device, Irp irp, VerbsRequest<?> request) {
        this.device = device;
        this.irp = irp;
        this.request = request;
        this.file = irp.currentLocation().fileObject();
    }

    /** Sends commands with this verb's request, re-sent for each command. */
    CommandRunner commands() {
        if (runner == null) {
            runner = device.commandPath().forVerb(irp);
        }
        return runner;
    }

    /** The dispatch routine will return PENDING: the verb completes later. */
    int pend() {
        irp.markPending();
        return NtStatus.PENDING;
    }

    /** Rejects the request now (from the dispatch routine); returns the status to return. */
    int reject(int status, String why) {
        request.setError(why);
        irp.complete(status);
        return status;
    }

    /** Fails the request (later, from a completion). */
    void fail(int status, String why) {
        request.setError(why);
        irp.complete(status);
    }

    /** Completes the request with its result. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    void succeed(Object result) {
        ((VerbsRequest) request).setResult(result);
        irp.complete(NtStatus.SUCCESS);
    }

    /** Completes a request whose result is {@code Void}. */
    void succeed() {
        irp.complete(NtStatus.SUCCESS);
    }

    /** A firmware command failed: the message names the command and the firmware's status. */
    static String commandFailed(String what, int status, HcrRequest command) {
        String why = command.firmwareStatus() != null && command.firmwareStatus() != org.irpverbs.softhca.CommandStatus.OK
                ? "firmware status " + command.firmwareStatus()
                : NtStatus.name(status);
        return what + ": " + command.command().opcode() + " failed with " + why;
    }
}
