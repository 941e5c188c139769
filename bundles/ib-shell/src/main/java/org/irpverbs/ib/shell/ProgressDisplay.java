package org.irpverbs.ib.shell;

/**
 * Where a long command shows how far it got: one line, replaced as it changes, removed at the end.
 * A command asks for its display before it starts; {@link #NONE} shows nothing (output that is not
 * a terminal: a pipe, a file, {@code bin/irpverbs -c} redirected, a test).
 *
 * <p>Used by the one thread that runs the command.
 */
interface ProgressDisplay {
    /** How often the line may change: once a second, so that a terminal is not flooded. */
    long INTERVAL_NANOS = 1_000_000_000L;

    /** Shows nothing. */
    ProgressDisplay NONE = new ProgressDisplay() {
        @Override
        public void show(String line) {}

        @Override
        public void clear() {}

        @Override
        public void interrupted(String line) {}
    };

    /** Shows {@code line} in place of the one shown before. */
    void show(String line);

    /** Removes the line shown, if any, so that the command's output starts on a clean line. */
    void clear();

    /**
     * The run was interrupted and ends with {@code line}: shown here as well as thrown, because
     * when the shell interrupts a command by cancelling its job (gogo.jline on Ctrl-C: the job's
     * controller stops waiting at once, prints {@code java.lang.InterruptedException} and cancels
     * the command's pipe), nobody receives the command's own failure.
     */
    void interrupted(String line);

    /** The least time between two {@link #show(String)} calls. */
    default long intervalNanos() {
        return INTERVAL_NANOS;
    }
}
