package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.Rule;
import org.junit.Test;

/** Cancel routines, the cancel-safe queue, its race with completion, and per-request timeouts. */
public class CancellationTest {
    @Rule
    public final FrameworkRule fw = new FrameworkRule();

    @Test
    public void cancellingAQueuedRequestCompletesItCancelled() {
        QueueingDriver q = new QueueingDriver("q");
        DeviceObject pdo = q.create(fw.io(), "q0");
        Irp irp = TestStacks.internal(pdo, TestStacks.QUEUE);
        assertEquals(NtStatus.PENDING, fw.io().send(pdo, irp));
        assertEquals(1, q.queue.size());
        assertTrue(irp.cancel());
        assertTrue(irp.isCompleted());
        assertEquals(NtStatus.CANCELLED, irp.status());
        assertEquals(0, q.queue.size());
        assertFalse("a completed request cannot be cancelled again", irp.cancel());
        assertEquals(1, pdo.statistics().cancelled());
        fw.assertClean();
    }

    @Test
    public void requestCancelledBeforeItIsQueuedCompletesAtOnce() {
        QueueingDriver q = new QueueingDriver("q");
        DeviceObject pdo = q.create(fw.io(), "q0");
        Irp irp = TestStacks.internal(pdo, TestStacks.QUEUE);
        irp.cancel(); // nobody owns it yet: only the flag is set
        assertEquals(NtStatus.CANCELLED, fw.io().send(pdo, irp));
        assertTrue(irp.isCompleted());
        assertEquals(0, q.queue.size());
        fw.assertClean();
    }

    /**
     * remove(irp) takes that request out of the middle of the queue (IoCsqRemoveIrp with its
     * context), leaves the others in order, and gives nothing for a request that is not queued
     * there any more (completed by a cancel, or taken already).
     */
    @Test
    public void aKnownRequestIsRemovedFromTheMiddleAndOnlyOnce() {
        QueueingDriver q = new QueueingDriver("q");
        DeviceObject pdo = q.create(fw.io(), "q0");
        Irp first = TestStacks.internal(pdo, TestStacks.QUEUE);
        Irp middle = TestStacks.internal(pdo, TestStacks.QUEUE);
        Irp last = TestStacks.internal(pdo, TestStacks.QUEUE);
        for (Irp irp : new Irp[] {first, middle, last}) {
            assertEquals(NtStatus.PENDING, fw.io().send(pdo, irp));
        }
        assertEquals(middle, q.queue.remove(middle));
        assertEquals("taken once", null, q.queue.remove(middle));
        assertFalse("a removed request is no longer cancellable", middle.cancel());
        middle.complete(NtStatus.SUCCESS);
        assertTrue(last.cancel());
        assertEquals("a cancelled request is the cancel's", null, q.queue.remove(last));
        assertEquals(NtStatus.CANCELLED, last.status());
        assertEquals(1, q.queue.size());
        assertEquals("the rest in order", first, q.queue.removeNext());
        first.complete(NtStatus.SUCCESS);
        fw.assertClean();
    }

    @Test
    public void dequeuedRequestIsNoLongerCancellable() {
        QueueingDriver q = new QueueingDriver("q");
        DeviceObject pdo = q.create(fw.io(), "q0");
        Irp irp = TestStacks.internal(pdo, TestStacks.QUEUE);
        fw.io().send(pdo, irp);
        Irp taken = q.queue.removeNext();
        assertEquals(irp, taken);
        assertFalse(irp.cancel());
        assertTrue(irp.isCancelled());
        taken.complete(NtStatus.SUCCESS);
        assertEquals(NtStatus.SUCCESS, irp.status());
        fw.assertClean();
    }

    @Test
    public void timeoutCancelsWithIoTimeout() throws Exception {
        QueueingDriver q = new QueueingDriver("q");
        DeviceObject pdo = q.create(fw.io(), "q0");
        CountDownLatch done = new CountDownLatch(1);
        Irp irp = TestStacks.internal(pdo, TestStacks.QUEUE).setTimeoutNanos(TimeUnit.MILLISECONDS.toNanos(20))
                .setCompletionListener(r -> done.countDown());
        fw.io().send(pdo, irp);
        assertTrue(done.await(30, TimeUnit.SECONDS));
        assertEquals(NtStatus.IO_TIMEOUT, irp.status());
        assertEquals(1, pdo.statistics().timedOut());
        fw.assertClean();
    }

    @Test
    public void timeoutOfAnEarlierSendNeverCancelsTheNext() throws Exception {
        QueueingDriver q = new QueueingDriver("q");
        DeviceObject pdo = q.create(fw.io(), "q0");
        Irp irp = TestStacks.internal(pdo, TestStacks.QUEUE).setTimeoutNanos(TimeUnit.MILLISECONDS.toNanos(30));
        fw.io().send(pdo, irp);
        assertTrue(q.completeNext(NtStatus.SUCCESS)); // completed before the timeout: timer disarmed
        irp.reuse().setTimeoutNanos(0);
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL);
        fw.io().send(pdo, irp);
        Thread.sleep(80);
        assertFalse(irp.isCancelled());
        assertTrue(q.completeNext(NtStatus.SUCCESS));
        assertEquals(NtStatus.SUCCESS, irp.status());
        fw.assertClean();
    }

    @Test
    public void badTimeoutIsRefused() {
        try {
            new Irp(1).setTimeoutNanos(-1);
            throw new AssertionError("negative timeout accepted");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("negative"));
        }
    }

    /**
     * Cancel races completion: one thread cancels while another dequeues and completes. Whatever
     * the interleaving, each request completes exactly once, and nothing stays queued.
     */
    @Test
    public void cancelRacingCompletionCompletesEachRequestExactlyOnce() throws Exception {
        QueueingDriver q = new QueueingDriver("q");
        DeviceObject pdo = q.create(fw.io(), "q0");
        int iterations = 20_000;
        AtomicIntegerArray completions = new AtomicIntegerArray(iterations);
        AtomicInteger cancelled = new AtomicInteger();
        AtomicInteger succeeded = new AtomicInteger();
        Irp[] irps = new Irp[iterations];
        for (int i = 0; i < iterations; i++) {
            int index = i;
            irps[i] = TestStacks.internal(pdo, TestStacks.QUEUE).setCompletionListener(r -> {
                completions.incrementAndGet(index);
                if (r.status() == NtStatus.CANCELLED) {
                    cancelled.incrementAndGet();
                } else {
                    succeeded.incrementAndGet();
                }
            });
        }
        CountDownLatch start = new CountDownLatch(1);
        Thread canceller = new Thread(() -> {
            await(start);
            for (int i = 0; i < iterations; i++) {
                while (!irps[i].isActive() && !irps[i].isCompleted()) {
                    Thread.onSpinWait();
                }
                irps[i].cancel();
            }
        });
        Thread completer = new Thread(() -> {
            await(start);
            int done = 0;
            while (done < iterations) {
                if (q.completeNext(NtStatus.SUCCESS)) {
                    done++;
                } else if (cancelled.get() + succeeded.get() >= iterations) {
                    break;
                }
            }
        });
        canceller.start();
        completer.start();
        start.countDown();
        for (Irp irp : irps) {
            fw.io().send(pdo, irp);
        }
        canceller.join(60_000);
        completer.join(60_000);
        for (int i = 0; i < iterations; i++) {
            assertEquals("request " + i + " completions", 1, completions.get(i));
        }
        assertEquals(iterations, cancelled.get() + succeeded.get());
        assertEquals(0, q.queue.size());
        assertEquals(0, pdo.statistics().inFlight());
        assertEquals(cancelled.get(), pdo.statistics().cancelled());
        fw.assertClean();
    }

    @Test
    public void cancelRacingInsertNeverStrandsARequest() throws Exception {
        QueueingDriver q = new QueueingDriver("q");
        DeviceObject pdo = q.create(fw.io(), "q0");
        int iterations = 20_000;
        AtomicInteger completed = new AtomicInteger();
        for (int i = 0; i < iterations; i++) {
            Irp irp = TestStacks.internal(pdo, TestStacks.QUEUE).setCompletionListener(r -> completed.incrementAndGet());
            // the race: this thread's send (insert) against the DPC's cancel on a pool thread
            fw.io().queueDpc(irp::cancel);
            fw.io().send(pdo, irp);
            assertTrue("request " + i + " stranded", irp.isCompleted() || waitCompleted(irp));
        }
        assertEquals(iterations, completed.get());
        assertEquals(0, q.queue.size());
        fw.assertClean();
    }

    private static boolean waitCompleted(Irp irp) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!irp.isCompleted() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        return irp.isCompleted();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
