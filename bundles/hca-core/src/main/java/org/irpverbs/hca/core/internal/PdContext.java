package org.irpverbs.hca.core.internal;

/** Driver state of a protection domain: its number and the objects created in it. */
final class PdContext {
    final ObjectLife life = new ObjectLife();
    final int number;

    PdContext(int number) {
        this.number = number;
    }
}
