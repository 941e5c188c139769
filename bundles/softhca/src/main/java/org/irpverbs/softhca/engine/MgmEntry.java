package org.irpverbs.softhca.engine;

import org.irpverbs.softhca.wire.Gid;

/**
 * A multicast group entry (MGM) written by WRITE_MGM: the group's GID and the QPs attached to it.
 * Simplified: mthca chains fixed-size MGM entries in a hash table; here the entry holds any
 * number of QPs and is indexed by MLID. Immutable; replaced as a whole by the engine thread.
 */
record MgmEntry(Gid gid, int mlid, int[] qpns) {
}
