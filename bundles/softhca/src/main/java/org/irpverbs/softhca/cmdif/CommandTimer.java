package org.irpverbs.softhca.cmdif;

import org.irpverbs.irp.Cancellable;

/**
 * Where the command interface arms its timers: the I/O manager's ({@code IoManager::schedule}, a
 * DPC after the delay) in service; a test's hand-fired timer, so that "the timeout expired" is an
 * event the test causes rather than a race it hopes to win on a loaded machine.
 */
@FunctionalInterface
interface CommandTimer {
    /** Runs {@code work} at DISPATCH after {@code delayNanos}; never blocks. */
    Cancellable schedule(long delayNanos, Runnable work);
}
