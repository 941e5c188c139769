package org.irpverbs.sample.echo.driver;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counts per status code, safely at DISPATCH. A {@code ConcurrentHashMap} would take a bin
 * monitor when two threads insert into the same bin, which blocking detection rightly reports;
 * here the set of counters is an immutable map replaced by compare-and-set, which happens once
 * per distinct status, and counting a known status is one atomic add.
 *
 * <p>Thread-safe and lock-free.
 */
final class StatusCounters {
    private final AtomicReference<Map<Integer, AtomicLong>> counters = new AtomicReference<>(Map.of());

    void increment(int status) {
        AtomicLong counter = counters.get().get(status);
        while (counter == null) {
            Map<Integer, AtomicLong> current = counters.get();
            counter = current.get(status);
            if (counter != null) {
                break;
            }
            Map<Integer, AtomicLong> next = new HashMap<>(current);
            AtomicLong fresh = new AtomicLong();
            next.put(status, fresh);
            if (counters.compareAndSet(current, Map.copyOf(next))) {
                counter = fresh;
            }
        }
        counter.incrementAndGet();
    }

    long get(int status) {
        AtomicLong counter = counters.get().get(status);
        return counter == null ? 0 : counter.get();
    }

    /** The counts by status, successes first (NTSTATUS errors are negative as ints, so unsigned order). */
    Map<Integer, Long> snapshot() {
        Map<Integer, Long> copy = new TreeMap<>(Integer::compareUnsigned);
        counters.get().forEach((status, count) -> copy.put(status, count.get()));
        return copy;
    }
}
