package org.irpverbs.softhca.cmdif;

import java.util.Locale;

/** How the command interface waits for the firmware. */
public enum CommandMode {
    /**
     * The RFC's design: a command request beyond the outstanding bound waits in a queue of
     * requests; completions come from the command-completion event; no thread waits.
     */
    QUEUED,
    /**
     * The legacy Tavor driver's way, kept for the comparison benchmark: the caller's thread blocks
     * on a semaphore for a token and on an event for the completion. Callable only at PASSIVE.
     */
    LEGACY_BLOCKING;

    /**
     * @throws IllegalArgumentException naming the accepted values
     */
    public static CommandMode parse(String value) {
        if (value == null || value.isBlank()) {
            return QUEUED;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "queued" -> QUEUED;
            case "legacy", "legacy_blocking", "legacy-blocking" -> LEGACY_BLOCKING;
            default -> throw new IllegalArgumentException("command mode must be queued or legacy, was '" + value + "'");
        };
    }
}
