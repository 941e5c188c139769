package org.irpverbs.ib.shell;

/**
 * A command that could not do what it was asked, with one line saying why, for the user. Gogo
 * prints a failed command's exception with {@code toString()} (the interactive shell, and
 * {@code bin/irpverbs -c} through its status file), which for other exceptions starts with the
 * class name; this one prints only its message.
 */
final class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CommandFailure(String message) {
        super(message, null, false, false);
    }

    CommandFailure(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
