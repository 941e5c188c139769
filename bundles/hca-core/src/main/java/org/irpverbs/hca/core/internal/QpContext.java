package org.irpverbs.hca.core.internal;

import org.irpverbs.softhca.Command;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.SpecialQpType;

/**
 * Driver state of a queue pair: what RST2INIT needs (the QP's fixed properties, kept from
 * CREATE_QP because, as in mthca, the firmware sees the QP first at its first MODIFY_QP), and the
 * objects it uses. Its dependants are its multicast attachments.
 */
final class QpContext {
    final ObjectLife life = new ObjectLife();
    final PdContext pd;
    final CqContext sendCq;
    final CqContext recvCq;
    final Command.QpSetup setup;
    /** Which special QP this is (CREATE_SPECIAL_QP), or null for an ordinary QP. */
    final SpecialQpType special;
    /** The port a special QP belongs to; 0 for an ordinary QP. */
    final int specialPort;
    volatile QueuePair handle;

    QpContext(PdContext pd, CqContext sendCq, CqContext recvCq, Command.QpSetup setup, SpecialQpType special,
            int specialPort) {
        this.pd = pd;
        this.sendCq = sendCq;
        this.recvCq = recvCq;
        this.setup = setup;
        this.special = special;
        this.specialPort = specialPort;
    }
}
