package org.irpverbs.hca.core.internal;

import org.irpverbs.softhca.Command;
import org.irpverbs.verbs.QueuePair;

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
    volatile QueuePair handle;

    QpContext(PdContext pd, CqContext sendCq, CqContext recvCq, Command.QpSetup setup) {
        this.pd = pd;
        this.sendCq = sendCq;
        this.recvCq = recvCq;
        this.setup = setup;
    }
}
