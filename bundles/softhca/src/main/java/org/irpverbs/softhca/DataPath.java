package org.irpverbs.softhca;

import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.WorkCompletion;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The HCA's data path as a driver's speed path reaches it: writing work queue entries into a
 * QP's queues, ringing doorbells, and reading completion queue entries. Tavor-mode hardware takes
 * MMIO doorbells (a register write per post); mem-free hardware reads doorbell records the driver
 * updates in host memory ({@link DoorbellMode}). Every call is a direct, non-blocking call that
 * copies what it needs.
 *
 * <p>Thread-safe.
 */
@ProviderType
public interface DataPath {
    /** How the driver tells the HCA about new work; fixed at INIT_HCA by the profile's mode. */
    enum DoorbellMode {
        MMIO, DOORBELL_RECORD
    }

    DoorbellMode doorbellMode();

    /**
     * Posts a send WQE and rings the doorbell.
     *
     * @param destLid for UD: the destination LID from the address handle (ignored for RC)
     * @return an NtStatus: SUCCESS, INSUFFICIENT_RESOURCES (queue full), INVALID_DEVICE_STATE
     *         (QP state does not allow sends), INVALID_PARAMETER (opcode not valid for the QP type,
     *         too many SGEs, inline data too long, unknown QP)
     */
    int postSend(int qpn, SendWorkRequest wr, int destLid);

    /** Posts a receive WQE; statuses as for {@link #postSend}. */
    int postReceive(int qpn, ReceiveWorkRequest wr);

    /**
     * Moves up to {@code max} CQEs into {@code out}; -1 for an unknown CQ. A poll that finds an
     * unarmed CQ empty may run one bounded pass of the HCA's packet and doorbell work in the
     * calling thread before it looks again (busy polling; it never waits, at any level).
     */
    int pollCq(int cqn, WorkCompletion[] out, int max);

    /** Arms the CQ: its next completion (next solicited one if so asked) raises a completion event. */
    boolean armCq(int cqn, boolean solicitedOnly);
}
