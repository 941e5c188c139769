package org.irpverbs.sample.echo.driver;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.irpverbs.irp.NtStatus;
import org.junit.Test;

/** The fixed-table status counters of the echo function device. */
public class StatusCountersTest {
    @Test
    public void eachStatusIsCountedApartAndSuccessesComeFirst() {
        StatusCounters counters = new StatusCounters();
        counters.increment(NtStatus.CANCELLED);
        counters.increment(NtStatus.SUCCESS);
        counters.increment(NtStatus.SUCCESS);
        assertEquals(2, counters.get(NtStatus.SUCCESS));
        assertEquals(1, counters.get(NtStatus.CANCELLED));
        assertEquals(0, counters.get(NtStatus.DELETE_PENDING));
        assertEquals(List.of(NtStatus.SUCCESS, NtStatus.CANCELLED), List.copyOf(counters.snapshot().keySet()));
        assertEquals(0, counters.otherStatuses());
    }

    @Test
    public void statusesBeyondTheTableAreCountedAsOtherAndTheFirstOnesStayExact() {
        StatusCounters counters = new StatusCounters();
        for (int status = 0; status < StatusCounters.SLOTS + 5; status++) {
            counters.increment(status);
            counters.increment(status);
        }
        assertEquals(StatusCounters.SLOTS, counters.snapshot().size());
        assertEquals(10, counters.otherStatuses());
        assertEquals(2, counters.get(0));
        assertEquals(2, counters.get(StatusCounters.SLOTS - 1));
    }

    @Test
    public void threadsCountingNewStatusesAtOnceLoseNoCount() throws Exception {
        StatusCounters counters = new StatusCounters();
        int threads = 4;
        int perThread = 20_000;
        int[] statuses = {NtStatus.SUCCESS, NtStatus.CANCELLED, NtStatus.IO_TIMEOUT, NtStatus.DELETE_PENDING};
        CountDownLatch start = new CountDownLatch(1);
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            workers[t] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    counters.increment(statuses[i % statuses.length]);
                }
            });
            workers[t].start();
        }
        start.countDown();
        for (Thread w : workers) {
            w.join(TimeUnit.SECONDS.toMillis(60));
        }
        for (int status : statuses) {
            assertEquals(NtStatus.name(status), threads * perThread / statuses.length, counters.get(status));
        }
        assertEquals(statuses.length, counters.snapshot().size());
    }
}
