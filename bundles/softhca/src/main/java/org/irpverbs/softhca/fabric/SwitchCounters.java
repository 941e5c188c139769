package org.irpverbs.softhca.fabric;

/**
 * The in-process switch's own counters.
 *
 * @param forwarded            packets handed to a receiving port or a transport
 * @param unknownDlidDrops     packets for a DLID no port owns and no transport reaches (LID 0 and
 *                             the permissive LID included)
 * @param linkDownDrops        packets for a port whose link is down
 * @param mtuDrops             packets larger than the receiving port's MTU
 * @param multicastNoMembers   multicast packets no port but the sender had joined
 * @param fromTransports       packets that came in through a transport
 *
 * <p>Thread-safe: an immutable snapshot.
 */
public record SwitchCounters(long forwarded, long unknownDlidDrops, long linkDownDrops, long mtuDrops,
        long multicastNoMembers, long fromTransports) {
}
