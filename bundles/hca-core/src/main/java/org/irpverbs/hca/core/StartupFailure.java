package org.irpverbs.hca.core;

import org.irpverbs.irp.NtStatus;

/**
 * A start-up step cannot continue: the device cannot run in this driver's mode, or its tables do
 * not fit. START fails with {@link #status()}; the message is logged and kept in the device's
 * statistics.
 */
public final class StartupFailure extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    /**
     * @param status  the NtStatus START fails with (an error status)
     * @param message why, for the log and the shell
     */
    public StartupFailure(int status, String message) {
        super(message);
        if (NtStatus.isSuccess(status)) {
            throw new IllegalArgumentException("a start-up failure needs an error status, was " + NtStatus.name(status));
        }
        this.status = status;
    }

    public int status() {
        return status;
    }
}
