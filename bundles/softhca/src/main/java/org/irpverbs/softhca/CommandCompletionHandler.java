package org.irpverbs.softhca;

/**
 * Receives command completion events from the HCR (the PRM's command-interface event, with the
 * token the command was posted with). Called at DISPATCH on the completion pool; must not block.
 */
@FunctionalInterface
public interface CommandCompletionHandler {
    /**
     * @param token  the token the command was posted with
     * @param status the firmware's status
     * @param output the command's output (see {@link Command}), or null
     */
    void commandCompleted(int token, CommandStatus status, Object output);
}
