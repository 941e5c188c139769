package org.irpverbs.ibal.internal.mad;

import java.util.concurrent.atomic.AtomicLong;
import org.irpverbs.ibal.mad.MadStatistics;

/** The counters behind {@link MadStatistics}. Thread-safe (atomics). */
final class MadCounters {
    final AtomicLong sent = new AtomicLong();
    final AtomicLong received = new AtomicLong();
    final AtomicLong responsesMatched = new AtomicLong();
    final AtomicLong unmatchedResponses = new AtomicLong();
    final AtomicLong delivered = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final AtomicLong timeouts = new AtomicLong();
    final AtomicLong cancelled = new AtomicLong();
    final AtomicLong errorResponses = new AtomicLong();
    final AtomicLong droppedBad = new AtomicLong();
    final AtomicLong droppedMalformed = new AtomicLong();
    final AtomicLong localMads = new AtomicLong();

    MadStatistics snapshot() {
        return new MadStatistics(sent.get(), received.get(), responsesMatched.get(), unmatchedResponses.get(),
                delivered.get(), retries.get(), timeouts.get(), cancelled.get(), errorResponses.get(), droppedBad.get(),
                droppedMalformed.get(), localMads.get());
    }
}
