package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.Rule;
import org.junit.Test;

/** The remove lock: admission, refusal, and a drain that fires once, after the last request. */
public class RemoveLockTest {
    @Rule
    public final FrameworkRule fw = new FrameworkRule();

    @Test
    public void drainFiresAtOnceWhenNothingIsInFlight() {
        RemoveLock lock = new RemoveLock();
        AtomicInteger fired = new AtomicInteger();
        lock.beginRemove(NtStatus.DELETE_PENDING, fired::incrementAndGet);
        assertEquals(1, fired.get());
        assertEquals(NtStatus.DELETE_PENDING, lock.acquire());
        assertEquals(1, fired.get());
    }

    @Test
    public void drainWaitsForTheLastRequest() {
        RemoveLock lock = new RemoveLock();
        assertEquals(NtStatus.SUCCESS, lock.acquire());
        assertEquals(NtStatus.SUCCESS, lock.acquire());
        AtomicInteger fired = new AtomicInteger();
        lock.beginRemove(NtStatus.DELETE_PENDING, fired::incrementAndGet);
        assertEquals(0, fired.get());
        lock.release();
        assertEquals(0, fired.get());
        lock.release();
        assertEquals(1, fired.get());
        assertEquals(0, lock.inFlight());
    }

    @Test
    public void refusalNeedsAnErrorStatus() {
        try {
            new RemoveLock().refuse(NtStatus.SUCCESS);
            throw new AssertionError("success accepted as a refusal");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("error"));
        }
    }

    /**
     * Removal races requests in flight: threads keep sending requests that complete later from
     * DPCs while removal begins. Every request either is refused with DELETE_PENDING or completes
     * with success; the drain fires exactly once, after the last admitted request.
     */
    @Test
    public void removeRacingRequestsInFlightLosesNothing() throws Exception {
        for (int round = 0; round < 200; round++) {
            IoManager io = fw.io();
            CountDownLatch drained = new CountDownLatch(1);
            AtomicLong workedAfterDrain = new AtomicLong();
            DriverObject later = DriverObject.builder("later").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> {
                irp.markPending();
                io.queueDpc(() -> {
                    if (drained.getCount() == 0) {
                        workedAfterDrain.incrementAndGet(); // the device still held an admitted request
                    }
                    irp.complete(NtStatus.SUCCESS);
                });
                return NtStatus.PENDING;
            }).build();
            DeviceObject pdo = io.createPhysicalDevice(later, "later-" + round, java.util.List.of("TEST\\LATER"), null);
            AtomicLong admittedDone = new AtomicLong();
            AtomicLong refused = new AtomicLong();
            AtomicLong other = new AtomicLong();
            AtomicInteger drains = new AtomicInteger();
            int senders = 2;
            int perSender = 100;
            CountDownLatch start = new CountDownLatch(1);
            Thread[] threads = new Thread[senders];
            for (int s = 0; s < senders; s++) {
                threads[s] = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < perSender; i++) {
                        Irp irp = TestStacks.internal(pdo, TestStacks.ECHO).setCompletionListener(r -> {
                            if (r.status() == NtStatus.SUCCESS) {
                                admittedDone.incrementAndGet();
                            } else if (r.status() == NtStatus.DELETE_PENDING) {
                                refused.incrementAndGet();
                            } else {
                                other.incrementAndGet();
                            }
                        });
                        io.send(pdo, irp);
                    }
                });
                threads[s].start();
            }
            start.countDown();
            if (round % 2 == 0) {
                Thread.yield();
            }
            pdo.removeLock().beginRemove(NtStatus.DELETE_PENDING, () -> {
                drains.incrementAndGet();
                drained.countDown();
            });
            for (Thread t : threads) {
                t.join(30_000);
            }
            assertTrue("drain never fired in round " + round, drained.await(30, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (admittedDone.get() + refused.get() + other.get() < senders * perSender && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals("round " + round, senders * perSender, admittedDone.get() + refused.get());
            assertEquals(0, other.get());
            assertEquals(1, drains.get());
            assertEquals("the device held a request after the drain in round " + round, 0, workedAfterDrain.get());
            assertEquals(0, pdo.statistics().inFlight());
        }
        fw.assertClean();
    }
}
