package org.irpverbs.softhca.cmdif;

import java.util.Objects;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.CommandStatus;

/**
 * The argument of a command request ({@link CommandInterface#IOCTL_HCR_COMMAND}): the command,
 * and after completion the firmware's status and output. The request's own status is
 * {@link CommandStatus#ntStatus()} of the firmware status, {@code IO_TIMEOUT} if the firmware did
 * not answer in time, {@code CANCELLED} if it was cancelled while queued, or
 * {@code DEVICE_REMOVED} if the hardware went away.
 *
 * <p>Not thread-safe: owned by whoever owns the request.
 */
public final class HcrRequest {
    private final Command command;
    private CommandStatus firmwareStatus;
    private Object output;
    /**
     * Owned by the command interface while the request waits in its queue: the count of silent
     * timeout periods when it started waiting behind a refusing firmware, or
     * {@link CommandInterface#NOT_STALLED}.
     */
    long stalledSince = CommandInterface.NOT_STALLED;

    public HcrRequest(Command command) {
        this.command = Objects.requireNonNull(command, "command");
    }

    public Command command() {
        return command;
    }

    /** The firmware's status, or null if the command never completed (timeout, cancel, removal). */
    public CommandStatus firmwareStatus() {
        return firmwareStatus;
    }

    /** The command's output (see {@link Command}), or null. */
    public Object output() {
        return output;
    }

    /** Typed access to the output. */
    public <T> T output(Class<T> type) {
        return type.cast(output);
    }

    void completed(CommandStatus status, Object out) {
        this.firmwareStatus = status;
        this.output = out;
    }

    @Override
    public String toString() {
        return command.opcode() + (firmwareStatus == null ? "" : " -> " + firmwareStatus);
    }
}
