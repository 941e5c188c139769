package org.irpverbs.hca.core.internal;

import org.irpverbs.verbs.CompletionQueue;

/** Driver state of a completion queue: its number; the QPs using it are its dependants. */
final class CqContext {
    final ObjectLife life = new ObjectLife();
    final int cqn;
    volatile CompletionQueue handle;

    CqContext(int cqn) {
        this.cqn = cqn;
    }
}
