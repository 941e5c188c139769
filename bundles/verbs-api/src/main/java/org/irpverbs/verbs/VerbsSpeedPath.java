package org.irpverbs.verbs;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The speed path: direct calls, no request packet, callable at DISPATCH from any thread (the HCA
 * serialises per queue). Obtained with {@code IoManager.queryInterface(hca, VerbsSpeedPath.class)}.
 *
 * <p>The posting calls copy the work request, so it may be reused at once. They return an
 * {@code NtStatus}: SUCCESS, INVALID_PARAMETER (bad opcode for the QP type, too many SGEs, inline
 * data too long, a destroyed or foreign QP), INSUFFICIENT_RESOURCES (the queue is full) or
 * INVALID_DEVICE_STATE (the QP's state does not allow posting: e.g. a send before RTS).
 */
@ProviderType
public interface VerbsSpeedPath {
    int postSend(QueuePair qp, SendWorkRequest wr);

    int postReceive(QueuePair qp, ReceiveWorkRequest wr);

    /** Moves up to {@code max} completions into {@code out}; returns how many (0 if none), or -1 for a bad CQ. */
    int pollCq(CompletionQueue cq, WorkCompletion[] out, int max);
}
