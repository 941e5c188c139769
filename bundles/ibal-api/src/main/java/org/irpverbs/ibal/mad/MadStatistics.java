package org.irpverbs.ibal.mad;

/**
 * Counters of one port's MAD service since it started.
 *
 * <p>Immutable snapshot.
 *
 * @param sent               MADs posted (retries included)
 * @param received           MADs received on QP0 and QP1
 * @param responsesMatched   responses that completed a request
 * @param unmatchedResponses responses no outstanding request had sent for (dropped)
 * @param delivered          unsolicited requests handed to an agent
 * @param retries            requests sent again after a response timeout
 * @param timeouts           requests that timed out on every attempt
 * @param cancelled          transactions cancelled (by their caller, an unregister or the stop)
 * @param errorResponses     requests the service answered itself with a MAD status (bad base or
 *                           class version, no agent for the class, method or attribute)
 * @param droppedBad         bad MADs that asked for no response, dropped (IBA 13.5.3.2)
 * @param droppedMalformed   receives that were not a 256-byte MAD, or came with an error status
 * @param localMads          SMPs handed to the HCA's own agent (MAD_IFC)
 */
public record MadStatistics(long sent, long received, long responsesMatched, long unmatchedResponses, long delivered,
        long retries, long timeouts, long cancelled, long errorResponses, long droppedBad, long droppedMalformed,
        long localMads) {
}
