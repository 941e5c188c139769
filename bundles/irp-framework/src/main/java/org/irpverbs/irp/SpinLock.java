package org.irpverbs.irp;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code KSPIN_LOCK}: a lock that never parks the thread, so it may be taken at DISPATCH. Hold it
 * only for a few instructions (a list insert or unlink). A waiter spins, then yields its time
 * slice, which the blocking detector does not count as blocking: on two cores the holder may be
 * preempted, and yielding lets it run.
 *
 * <p>Thread-safe. Not reentrant.
 */
public final class SpinLock {
    private final AtomicInteger held = new AtomicInteger();

    public void lock() {
        int spins = 0;
        while (!held.compareAndSet(0, 1)) {
            if (++spins < 64) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    public boolean tryLock() {
        return held.compareAndSet(0, 1);
    }

    public void unlock() {
        held.set(0);
    }
}
