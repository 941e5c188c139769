package org.irpverbs.hca.core.internal;

import org.irpverbs.hca.core.CommandRunner;
import org.irpverbs.hca.core.ContextMemory;
import org.irpverbs.irp.FileObject;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.IcmTable;
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

    /**
     * A create verb's context-memory step: makes contexts {@code [first, first + count)} of
     * {@code table} usable, pushes their release on {@code undo} so a later failure gives them back,
     * and continues with {@code then}. If they cannot be mapped, {@code undo} runs and the request
     * fails with "{@code what} could not be mapped: status".
     *
     * @param what the verb and the contexts, e.g. {@code "CREATE_CQ: context memory for CQ 5"}
     */
    void acquireOrUndo(IcmTable table, int first, int count, Undo undo, String what, Runnable then) {
        ContextMemory icm = device.memory();
        CommandRunner commands = commands();
        icm.acquire(table, first, count, commands, ready -> {
            if (!NtStatus.isSuccess(ready)) {
                undo.run(() -> fail(ready, what + " could not be mapped: " + NtStatus.name(ready)));
                return;
            }
            undo.pushAsync(next -> icm.release(table, first, count, commands, next));
            then.run();
        });
    }

    /**
     * A create verb's firmware command: sends {@code command} and continues with {@code then}; if it
     * fails, {@code undo} runs and the request fails with {@link #commandFailed} for {@code verb}.
     */
    void runOrUndo(Command command, Undo undo, String verb, Runnable then) {
        commands().run(command, (status, request) -> {
            if (!NtStatus.isSuccess(status)) {
                undo.run(() -> fail(status, commandFailed(verb, status, request)));
                return;
            }
            then.run();
        });
    }

    /**
     * Ends a destroy verb, whose object is gone whether or not its commands succeeded: succeeds,
     * or, if a command failed ({@code problem} not null), fails with {@code status} saying so.
     *
     * @param what the object, e.g. {@code "CQ 5"}
     */
    void destroyed(String what, int status, String problem) {
        if (problem == null) {
            succeed();
        } else {
            fail(status, what + " is destroyed, but " + problem);
        }
    }

    /** A firmware command failed: the message names the command and the firmware's status. */
    static String commandFailed(String what, int status, HcrRequest command) {
        String why = command.firmwareStatus() != null && command.firmwareStatus() != org.irpverbs.softhca.CommandStatus.OK
                ? "firmware status " + command.firmwareStatus()
                : NtStatus.name(status);
        return what + ": " + command.command().opcode() + " failed with " + why;
    }
}
