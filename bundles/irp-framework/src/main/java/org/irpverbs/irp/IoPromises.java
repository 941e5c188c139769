package org.irpverbs.irp;

import java.util.concurrent.TimeUnit;

/**
 * Makes the I/O manager's promises ({@link LockFreePromise}): their callbacks run as DPCs on the
 * manager's completion pool, their {@code timeout} and {@code delay} are timers of the manager's
 * timer thread. Nothing here or in a promise takes a monitor or parks a resolver, so a promise
 * may be resolved, chained and timed out at DISPATCH (docs/architecture.md §6).
 */
final class IoPromises {
    /** Where callbacks run: the completion pool (DPCs at DISPATCH). */
    final DpcPool dpcs;
    /** What {@code timeout} and {@code delay} arm: lock-free timers whose routines run as DPCs. */
    final Timers timers;

    IoPromises(DpcPool dpcs, Timers timers) {
        this.dpcs = dpcs;
        this.timers = timers;
    }

    /** A promise to be resolved later with {@link LockFreePromise#resolve} or {@link LockFreePromise#fail}. */
    <T> LockFreePromise<T> unresolved() {
        return new LockFreePromise<>(this);
    }

    <T> LockFreePromise<T> resolved(T value) {
        LockFreePromise<T> p = new LockFreePromise<>(this);
        p.resolve(value);
        return p;
    }

    /** @throws NullPointerException if {@code failure} is null (a failed promise needs a reason) */
    <T> LockFreePromise<T> failed(Throwable failure) {
        LockFreePromise<T> p = new LockFreePromise<>(this);
        p.fail(failure);
        return p;
    }

    /** Milliseconds of the Promise API as a timer delay: zero and below are "now". */
    static long delayNanos(long millis) {
        return millis <= 0 ? 0 : TimeUnit.MILLISECONDS.toNanos(millis);
    }
}
