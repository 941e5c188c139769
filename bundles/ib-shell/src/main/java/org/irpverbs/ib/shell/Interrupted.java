package org.irpverbs.ib.shell;

/**
 * The command's thread was interrupted (Ctrl-C: the shell interrupts the thread running the
 * command): thrown where a command waits or spins, caught by the command, which releases what it
 * made and fails with a {@link CommandFailure} saying it was interrupted. The interrupt status is
 * consumed when this is thrown, so that the releases can wait for their verbs.
 */
final class Interrupted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Interrupted(String activity) {
        super("interrupted while " + activity, null, false, false);
    }

    /** Throws if the current thread was interrupted, clearing its interrupt status. */
    static void check(String activity) {
        if (Thread.interrupted()) {
            throw new Interrupted(activity);
        }
    }
}
