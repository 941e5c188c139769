package org.irpverbs.hca.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;

import java.util.List;
import org.irpverbs.irp.BlockingDetector;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.DriverObject;
import org.irpverbs.irp.DriverVerifier;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoManagers;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.AsyncEvent;
import org.irpverbs.verbs.AsyncEventType;
import org.irpverbs.verbs.VerbsIoctl;
import org.irpverbs.verbs.VerbsRequest;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** GET_ASYNC_EVENT pairing: waiting requests, the ring, overflow, cancel, failure. */
public class AsyncEventsTest {
    private IoManager io;
    private DeviceObject device;
    private AsyncEvents events;

    @Before
    public void setUp() {
        BlockingDetector.setMode(BlockingDetector.Mode.FAIL);
        BlockingDetector.reset();
        DriverVerifier.reset();
        io = IoManagers.create("async-events", 2, null);
        AsyncEvents[] holder = new AsyncEvents[1];
        DriverObject driver = DriverObject.builder("AsyncTest").dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL,
                (d, irp) -> holder[0].request(irp, (VerbsRequest.GetAsyncEvent) irp.currentLocation().argument()))
                .build();
        device = io.createPhysicalDevice(driver, "async#", List.of("TEST\\ASYNC"), null);
        events = new AsyncEvents(device);
        holder[0] = events;
    }

    @After
    public void tearDown() {
        IoManagers.shutdown(io);
    }

    private Irp request(VerbsRequest.GetAsyncEvent argument) {
        Irp irp = new Irp(1);
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL)
                .setIoControlCode(VerbsIoctl.GET_ASYNC_EVENT).setArgument(argument);
        device.callDriver(irp);
        return irp;
    }

    private static AsyncEvent event(int port) {
        return new AsyncEvent(AsyncEventType.PORT_ACTIVE, port, 0, "port " + port + " up");
    }

    private void assertClean() {
        assertEquals(BlockingDetector.recentViolations().toString(), 0, BlockingDetector.violationCount());
        assertEquals(DriverVerifier.recentBugs().toString(), 0, DriverVerifier.bugCount());
    }

    @Test
    public void aWaitingRequestGetsTheNextEventAndAKeptEventGoesToTheNextRequest() {
        VerbsRequest.GetAsyncEvent first = new VerbsRequest.GetAsyncEvent();
        Irp waiting = request(first);
        assertEquals(1, events.waiting());
        AsyncEvent e1 = event(1);
        events.raise(e1);
        assertEquals(NtStatus.SUCCESS, waiting.status());
        assertSame(e1, first.result());
        AsyncEvent e2 = event(2);
        events.raise(e2);
        assertEquals(1, events.queued());
        VerbsRequest.GetAsyncEvent second = new VerbsRequest.GetAsyncEvent();
        Irp immediate = request(second);
        assertEquals(NtStatus.SUCCESS, immediate.status());
        assertSame(e2, second.result());
        assertClean();
    }

    @Test
    public void theRingKeepsTheNewestEventsAndCountsTheDropped() {
        for (int i = 0; i < AsyncEvents.CAPACITY + 5; i++) {
            events.raise(event(i));
        }
        assertEquals(AsyncEvents.CAPACITY, events.queued());
        assertEquals(5, events.dropped());
        VerbsRequest.GetAsyncEvent r = new VerbsRequest.GetAsyncEvent();
        request(r);
        assertEquals(5, r.result().port());
        assertClean();
    }

    @Test
    public void aWaitingRequestCanBeCancelledOrFailedWithAReason() {
        Irp cancelled = request(new VerbsRequest.GetAsyncEvent());
        cancelled.cancel();
        assertEquals(NtStatus.CANCELLED, cancelled.status());
        VerbsRequest.GetAsyncEvent argument = new VerbsRequest.GetAsyncEvent();
        Irp failed = request(argument);
        events.failWaiting(NtStatus.DEVICE_REMOVED, "catastrophic error");
        assertEquals(NtStatus.DEVICE_REMOVED, failed.status());
        assertEquals("catastrophic error", argument.error());
        assertEquals(0, events.waiting());
        assertClean();
    }
}
