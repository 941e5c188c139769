package org.irpverbs.hca.core.internal;

import org.irpverbs.hca.core.CommandCallback;
import org.irpverbs.hca.core.CommandRunner;
import org.irpverbs.irp.CompletionRoutine;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.cmdif.CommandInterface;
import org.irpverbs.softhca.cmdif.HcrRequest;

/**
 * The RFC's command path: a verb's request goes down to the command interface as the command
 * request itself; its completion routine takes it back (MORE_PROCESSING_REQUIRED) and the verb
 * either sends it down again with its next command or completes it. Nothing waits in a thread, so
 * every verb may be called at DISPATCH.
 */
final class QueuedCommandPath implements CommandPath {
    /** A command in flight: its request argument and who continues. */
    private record Sent(HcrRequest request, CommandCallback callback) {
    }

    /** Takes the verb's request back and continues the verb. */
    private static final CompletionRoutine VERB_COMMAND_DONE = (device, irp, context) -> {
        Sent sent = (Sent) context;
        sent.callback().completed(irp.status(), sent.request());
        return NtStatus.MORE_PROCESSING_REQUIRED;
    };

    private final CommandInterface commandInterface;
    private final IoManager io;

    QueuedCommandPath(CommandInterface commandInterface, IoManager io) {
        this.commandInterface = commandInterface;
        this.io = io;
    }

    @Override
    public CommandRunner forVerb(Irp verbRequest) {
        return (command, callback) -> {
            HcrRequest request = new HcrRequest(command);
            commandInterface.send(verbRequest, request, VERB_COMMAND_DONE, new Sent(request, callback));
        };
    }

    @Override
    public CommandRunner own() {
        return this::sendOwn;
    }

    private void sendOwn(Command command, CommandCallback callback) {
        HcrRequest request = new HcrRequest(command);
        Irp irp = commandInterface.newRequest(request);
        irp.setCompletionListener(done -> callback.completed(done.status(), request));
        commandInterface.device().callDriver(irp);
    }

    @Override
    public void defer(Runnable work) {
        io.queueDpc(work);
    }
}
