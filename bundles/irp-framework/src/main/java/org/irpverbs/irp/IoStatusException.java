package org.irpverbs.irp;

/** A request outside the framework failed; carries the status. */
public final class IoStatusException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    public IoStatusException(int status, String message) {
        super(NtStatus.name(status) + ": " + message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
