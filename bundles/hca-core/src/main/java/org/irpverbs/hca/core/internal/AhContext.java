package org.irpverbs.hca.core.internal;

/**
 * Driver state of an address handle: the destination a UD send goes to. Simplification (docs/architecture.md
 * §11, one switch, no GRH routing): the address vector is the port, destination LID and
 * service level; the speed path hands the LID to the hardware with each UD send.
 */
final class AhContext {
    final ObjectLife life = new ObjectLife();
    final PdContext pd;
    final int number;
    final int port;
    final int destLid;
    final int serviceLevel;

    AhContext(PdContext pd, int number, int port, int destLid, int serviceLevel) {
        this.pd = pd;
        this.number = number;
        this.port = port;
        this.destLid = destLid;
        this.serviceLevel = serviceLevel;
    }
}
