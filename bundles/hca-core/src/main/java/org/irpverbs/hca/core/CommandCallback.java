package org.irpverbs.hca.core;

import org.irpverbs.softhca.cmdif.HcrRequest;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told when a firmware command a {@link CommandRunner} sent has completed. Called exactly once; in
 * the queued command mode at DISPATCH from the command request's completion routine, in the legacy
 * mode on the thread that sent it. Must not block.
 */
@ConsumerType
@FunctionalInterface
public interface CommandCallback {
    /**
     * @param status  the command request's status: the firmware status as an NtStatus, IO_TIMEOUT,
     *                CANCELLED, DEVICE_NOT_READY or DEVICE_REMOVED
     * @param request the command with the firmware's status and output
     */
    void completed(int status, HcrRequest request);
}
