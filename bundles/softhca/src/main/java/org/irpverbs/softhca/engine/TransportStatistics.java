package org.irpverbs.softhca.engine;

/**
 * Transport-level counters of one soft HCA, beyond {@link org.irpverbs.softhca.HardwareStatistics}:
 * what a driver's diagnostics or a benchmark wants to see about retries and drops.
 *
 * @param retransmitTimeouts  RC local ACK timeouts that caused a retransmission
 * @param sequenceNaksSent    NAK PSN sequence error sent as responder
 * @param sequenceNaksReceived NAK PSN sequence error received as requester
 * @param rnrNaksSent         RNR NAKs sent (no receive WQE posted)
 * @param rnrNaksReceived     RNR NAKs received
 * @param duplicatesReceived  duplicate requests a responder saw (and re-acknowledged or replayed)
 * @param pkeyViolations      packets dropped because their P_Key did not match (IB P_KeyViolations)
 * @param qkeyViolations      UD packets dropped because their Q_Key did not match (IB Q_KeyViolations)
 * @param malformedPackets    packets the codec rejected (bad ICRC, lengths, opcode)
 * @param inboxDrops          packets dropped because the engine's inbox was full
 * @param noQpDrops           packets for a QP that does not exist or is not ready
 * @param udNoReceiveDrops    UD packets dropped for want of a receive WQE
 * @param remoteAccessErrors  requests a responder refused with NAK remote access error
 * @param cqOverruns          completions lost because a CQ was full
 * @param busyPollPasses      engine passes (packets, doorbells) run by busy-polling consumers
 *                            instead of by the engine thread (EngineTuning#busyPollMicros)
 *
 * <p>Thread-safe: an immutable snapshot.
 */
public record TransportStatistics(long retransmitTimeouts, long sequenceNaksSent, long sequenceNaksReceived,
        long rnrNaksSent, long rnrNaksReceived, long duplicatesReceived, long pkeyViolations, long qkeyViolations,
        long malformedPackets, long inboxDrops, long noQpDrops, long udNoReceiveDrops, long remoteAccessErrors,
        long cqOverruns, long busyPollPasses) {
}
