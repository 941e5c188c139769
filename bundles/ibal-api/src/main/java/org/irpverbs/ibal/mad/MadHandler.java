package org.irpverbs.ibal.mad;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives the unsolicited MADs of an agent: requests of the methods (and attributes) it
 * registered. Responses to its own requests do not come here; they complete the request's
 * {@link MadTransaction}.
 *
 * <p>Called at DISPATCH from the completion of a receive on the port's QP0 or QP1: it must not
 * block, and should hand long work on. Calls may overlap (one per received MAD). No call starts
 * after the agent's {@link MadAgent#unregister()} promise resolved. Reply with
 * {@link MadAgent#send} to {@link ReceivedMad#source()}.
 */
@ConsumerType
@FunctionalInterface
public interface MadHandler {
    void received(MadAgent agent, ReceivedMad request);
}
