package org.irpverbs.hca.core.internal;

import org.irpverbs.hca.core.CommandRunner;
import org.irpverbs.irp.Irp;

/**
 * How the function device sends its firmware commands, one strategy per command-interface mode:
 * {@link QueuedCommandPath} (each next command is sent from the previous one's completion routine
 * at DISPATCH; nothing waits) or {@link LegacyCommandPath} (the sending thread blocks in the
 * command interface and continues when it returns, as the old Tavor driver did).
 */
interface CommandPath {
    /** A runner that sends each command with the verb's own request (re-sent for each command). */
    CommandRunner forVerb(Irp verbRequest);

    /** A runner that sends each command with a request of its own (start-up, shutdown). */
    CommandRunner own();

    /**
     * Runs {@code work} later where this mode may issue commands: a DPC for the queued mode, the
     * I/O manager's system worker (PASSIVE) for the legacy mode. Start-up and shutdown chains and
     * the next queued multicast operation begin here, never on the stack of the work before them.
     */
    void defer(Runnable work);
}
