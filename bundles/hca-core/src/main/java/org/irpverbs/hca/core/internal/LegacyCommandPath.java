package org.irpverbs.hca.core.internal;

import java.util.concurrent.atomic.AtomicInteger;
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
 * The legacy command path, for the comparison benchmark (docs/architecture.md §9): the command
 * interface blocks the sending thread on its token semaphore and completion event and returns only
 * when the command completed, so the next command is sent by the same thread after the call
 * returns, at the caller's level, never from the completion routine (which runs raised to
 * DISPATCH, where blocking is a bug). Start-up and shutdown run on the I/O manager's system worker
 * at PASSIVE. Verbs must be called at PASSIVE in this mode; the blocking detector reports any that
 * are not.
 */
final class LegacyCommandPath implements CommandPath {
    private final CommandInterface commandInterface;
    private final IoManager io;

    LegacyCommandPath(CommandInterface commandInterface, IoManager io) {
        this.commandInterface = commandInterface;
        this.io = io;
    }

    /**
     * One command's hand-over between the completion (which runs inside the blocked call) and the
     * sender (which continues after the call returns). The legacy interface always completes before
     * it returns; should a completion ever come later, the completion continues instead, so the
     * callback still runs exactly once.
     */
    private static final class Handover {
        private static final int SENDING = 0;
        private static final int COMPLETED = 1;
        private static final int RETURNED = 2;

        final HcrRequest request;
        final CommandCallback callback;
        final AtomicInteger state = new AtomicInteger(SENDING);
        volatile int status;

        Handover(HcrRequest request, CommandCallback callback) {
            this.request = request;
            this.callback = callback;
        }

        void completed(int finalStatus) {
            status = finalStatus;
            if (!state.compareAndSet(SENDING, COMPLETED)) {
                callback.completed(finalStatus, request);
            }
        }

        void returned() {
            if (!state.compareAndSet(SENDING, RETURNED)) {
                callback.completed(status, request);
            }
        }
    }

    private static final CompletionRoutine VERB_COMMAND_DONE = (device, irp, context) -> {
        ((Handover) context).completed(irp.status());
        return NtStatus.MORE_PROCESSING_REQUIRED;
    };

    @Override
    public CommandRunner forVerb(Irp verbRequest) {
        return (command, callback) -> {
            HcrRequest request = new HcrRequest(command);
            Handover handover = new Handover(request, callback);
            commandInterface.send(verbRequest, request, VERB_COMMAND_DONE, handover);
            handover.returned();
        };
    }

    @Override
    public CommandRunner own() {
        return this::sendOwn;
    }

    private void sendOwn(Command command, CommandCallback callback) {
        HcrRequest request = new HcrRequest(command);
        Handover handover = new Handover(request, callback);
        Irp irp = commandInterface.newRequest(request);
        irp.setCompletionListener(done -> handover.completed(done.status()));
        commandInterface.device().callDriver(irp);
        handover.returned();
    }

    @Override
    public void defer(Runnable work) {
        io.queueWorkItem(work);
    }
}
