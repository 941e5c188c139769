package org.irpverbs.hca.core.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The life of one verbs object in the driver: alive, busy with an operation that must not overlap
 * another (MODIFY_QP, RESIZE_CQ, a destroy), being destroyed, destroyed; and the count of objects
 * that depend on it (a PD's MRs, QPs and AHs; a CQ's QPs; a QP's multicast attachments), which keep
 * it from being destroyed, as the IB spec requires.
 *
 * <p>A dependant takes its reference first and then checks the state; a destroyer changes the state
 * first and then checks the references: whichever comes second sees the other, so no dependant is
 * ever created on a destroyed object. Thread-safe and lock-free.
 */
final class ObjectLife {
    private static final int ALIVE = 0;
    private static final int BUSY = 1;
    private static final int DESTROYING = 2;
    private static final int DESTROYED = 3;

    private final AtomicInteger state = new AtomicInteger(ALIVE);
    private final AtomicInteger users = new AtomicInteger();

    /** Takes a dependant's reference; false if the object is being destroyed. */
    boolean use() {
        users.incrementAndGet();
        if (state.get() >= DESTROYING) {
            users.decrementAndGet();
            return false;
        }
        return true;
    }

    void unuse() {
        users.decrementAndGet();
    }

    int users() {
        return users.get();
    }

    /** Starts an exclusive operation; null if it may go on, else why not. */
    String begin(String what) {
        if (state.compareAndSet(ALIVE, BUSY)) {
            return null;
        }
        return state.get() == BUSY ? "another operation on " + what + " is in progress" : what + " is destroyed";
    }

    /** Ends the exclusive operation {@link #begin} started. */
    void end() {
        state.compareAndSet(BUSY, ALIVE);
    }

    /**
     * Starts destroying: null if the object is now being destroyed by the caller, else why not
     * (already destroyed, busy, or still used by {@code dependants}).
     */
    String beginDestroy(String what, String dependants) {
        if (!state.compareAndSet(ALIVE, DESTROYING)) {
            return state.get() == BUSY ? "another operation on " + what + " is in progress" : what + " is destroyed";
        }
        int n = users.get();
        if (n > 0) {
            state.set(ALIVE);
            return what + " is still used by " + n + " " + dependants;
        }
        return null;
    }

    void destroyed() {
        state.set(DESTROYED);
    }

    boolean isAlive() {
        int s = state.get();
        return s == ALIVE || s == BUSY;
    }
}
