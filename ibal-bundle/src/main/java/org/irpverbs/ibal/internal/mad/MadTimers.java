package org.irpverbs.ibal.internal.mad;

import org.irpverbs.irp.Cancellable;
import org.irpverbs.irp.IoManager;

/**
 * Where the MAD service's response timers come from: the I/O manager's timers in production
 * ({@link #of(IoManager)}), a manually advanced clock in tests, so that a timeout is a step the
 * test takes, not a race with the machine's load.
 *
 * <p>Implementations are thread-safe and never block; a timer's routine runs as a DPC.
 */
@FunctionalInterface
interface MadTimers {
    Cancellable schedule(long delayNanos, Runnable routine);

    static MadTimers of(IoManager io) {
        return io::schedule;
    }
}
