package org.irpverbs.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.NtStatus;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;

/**
 * Updates a driver bundle of the sample stack while requests are in flight. Every request
 * completes exactly once; every request the old stack admitted completes with success (its
 * removal waited for it); requests that arrive during the swap are refused with DELETE_PENDING,
 * never lost; afterwards the new stack serves requests again.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class HotUpdateIT extends EchoContainerTest {
    private static final int SENDERS = 2;
    /**
     * Upper bound on requests per test (the senders stop earlier, once the new stack has served
     * enough). Refused requests complete at once, so during the swap the senders pace themselves
     * (see {@link #nextTarget}) rather than use up the bound before the new stack is there.
     */
    private static final int MAX_REQUESTS = 200_000;
    private static final int BEFORE_UPDATE = 1000;
    private static final int AFTER_UPDATE = 300;
    private static final long DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    @Test
    public void updatingTheLowerDriverLosesNoRequest() throws Exception {
        swapUnderLoad("sample-echo-bus");
    }

    @Test
    public void updatingTheUpperDriverLosesNoRequest() throws Exception {
        swapUnderLoad("sample-echo-driver");
    }

    private void swapUnderLoad(String symbolicName) throws Exception {
        Bundle driverBundle = findBundle(symbolicName);
        warmUp(driverBundle);
        DeviceObject before = echo.await(30);
        AtomicIntegerArray completions = new AtomicIntegerArray(MAX_REQUESTS);
        AtomicLong succeeded = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicLong succeededAfterUpdate = new AtomicLong();
        java.util.concurrent.atomic.AtomicInteger nextId = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicLong updateDoneAt = new AtomicLong(Long.MAX_VALUE);
        AtomicReference<DeviceObject> refusing = new AtomicReference<>();

        Thread[] senders = new Thread[SENDERS];
        for (int s = 0; s < SENDERS; s++) {
            senders[s] = new Thread(() -> {
                int id;
                while (!stop.get() && (id = nextId.getAndIncrement()) < MAX_REQUESTS) {
                    int requestId = id;
                    DeviceObject target = nextTarget(refusing);
                    if (target == null) {
                        return; // interrupted
                    }
                    long sentAt = System.nanoTime();
                    io.internalDeviceControl(target, EchoClient.ECHO, DELAY_NANOS, EchoClient.payload(requestId),
                            ByteBuffer.allocate(16)).onSuccess(result -> {
                                completions.incrementAndGet(requestId);
                                int status = result.status();
                                if (status == NtStatus.SUCCESS) {
                                    succeeded.incrementAndGet();
                                    if (sentAt > updateDoneAt.get()) {
                                        succeededAfterUpdate.incrementAndGet();
                                    }
                                    if (!EchoClient.isPayload(result.output(), requestId)) {
                                        wrong.add("request " + requestId + " returned the wrong data");
                                    }
                                } else if (status == NtStatus.DELETE_PENDING) {
                                    refused.incrementAndGet();
                                    refusing.set(target);
                                } else {
                                    wrong.add("request " + requestId + " completed with " + NtStatus.name(status));
                                }
                            }).onFailure(failure -> wrong.add("request " + requestId + " failed: " + failure));
                    if (requestId % 64 == 0) {
                        Thread.yield();
                    }
                }
            }, "sender-" + s);
            senders[s].start();
        }
        // update while requests are in flight; each phase has its own generous bound, so a slow
        // first phase does not shorten the time the new stack gets
        long sendingUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (nextId.get() < BEFORE_UPDATE && System.nanoTime() < sendingUntil) {
            Thread.sleep(1);
        }
        driverBundle.update();
        updateDoneAt.set(System.nanoTime());
        long servingUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (succeededAfterUpdate.get() < AFTER_UPDATE && nextId.get() < MAX_REQUESTS
                && System.nanoTime() < servingUntil) {
            Thread.sleep(5);
        }
        stop.set(true);
        for (Thread t : senders) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
        int total = Math.min(nextId.get(), MAX_REQUESTS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (succeeded.get() + refused.get() + wrong.size() < total && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        System.out.printf("%s update: %d requests, %d succeeded (%d sent after the update), %d refused with DELETE_PENDING%n",
                symbolicName, total, succeeded.get(), succeededAfterUpdate.get(), refused.get());
        assertTrue(wrong.toString(), wrong.isEmpty());
        for (int i = 0; i < total; i++) {
            assertEquals("completions of request " + i, 1, completions.get(i));
        }
        assertEquals(total, succeeded.get() + refused.get());
        assertTrue("the new stack served requests after the update", succeededAfterUpdate.get() > 0);
        DeviceObject after = echo.await(30);
        assertNotNull(after);
        assertTrue("a new stack replaced the old one", after != before);
        io.pnpIdle().getValue();
        assertTrue("the old stack is gone", io.devices().stream().noneMatch(d -> d == before || d == before.attachedTop()));
        assertEquals(Bundle.ACTIVE, driverBundle.getState());
        assertEquals("blocking at DISPATCH: " + BlockingDetector.recentViolations(), 0, BlockingDetector.violationCount());
        assertEquals("driver bugs: " + DriverVerifier.recentBugs(), 0, DriverVerifier.bugCount());
    }

    /**
     * The echo device to send the next request to: the newest one registered, but not one that
     * refused a request (it is being removed). Until its successor is registered the sender
     * sleeps: spinning would take the CPU the swap needs on a small machine, and sending on would
     * only collect refusals, which complete at once and would use up {@link #MAX_REQUESTS} before
     * the new stack is there. Returns null if the sender was interrupted.
     */
    private DeviceObject nextTarget(AtomicReference<DeviceObject> refusing) {
        DeviceObject target;
        while ((target = echo.current()) == null || target == refusing.get()) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return target;
    }

    /**
     * One update and a few requests before the measured one. Each test boots a fresh container,
     * and the first removal, restart and request through a new revision run code paths for the
     * first time: the JVM links their lambdas and initialises their classes, and two completion
     * threads doing that at once wait for each other inside the JVM. That is the JVM's first-use
     * cost, not a wait in a driver; a wait the update path really has recurs in the measured
     * update, which runs with the counters reset and detection still in fail mode.
     */
    private void warmUp(Bundle driverBundle) throws Exception {
        DeviceObject first = echo.await(30);
        driverBundle.update();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        DeviceObject next;
        while ((next = echo.current()) == null || next == first) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no new echo device after the warm-up update");
            }
            Thread.sleep(5);
        }
        for (int i = 0; i < 64; i++) {
            io.internalDeviceControl(next, EchoClient.ECHO, DELAY_NANOS, EchoClient.payload(i), ByteBuffer.allocate(16))
                    .getValue();
        }
        io.pnpIdle().getValue();
        BlockingDetector.reset();
        DriverVerifier.reset();
    }

    private Bundle findBundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("bundle " + symbolicName + " is not installed");
    }
}
