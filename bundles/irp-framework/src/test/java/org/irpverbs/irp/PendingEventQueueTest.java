package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.After;
import org.junit.Test;

/** The framework's event pairing: kept events, waiting requests, dispose. */
public class PendingEventQueueTest {
    /** The queue the device's dispatch routine hands each request to. */
    private final AtomicReference<PendingEventQueue<String>> current = new AtomicReference<>();
    private final DriverObject driver = DriverObject.builder("events")
            .dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (device, irp) -> current.get().request(irp)).build();
    private final IoManager io = IoManagers.create("events-test", 1, null);
    private final DeviceObject device = io.createDevice(driver, "ev#", DeviceObject.Kind.FUNCTION, null);
    private final AtomicReference<String> delivered = new AtomicReference<>();

    @After
    public void tearDown() {
        IoManagers.shutdown(io);
    }

    private int queues() {
        int n = 0;
        for (CancelSafeQueue q : device.queues()) {
            n++;
        }
        return n;
    }

    private Irp send() {
        Irp irp = Irp.forDevice(device);
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL);
        io.send(device, irp);
        return irp;
    }

    @Test
    public void eventsAreKeptUntilARequestComesAndRequestsWaitForEvents() {
        current.set(new PendingEventQueue<>(device, "q", (irp, e) -> delivered.set(e)));
        current.get().raise("first");
        Irp a = send();
        assertEquals(NtStatus.SUCCESS, a.status());
        assertEquals("first", delivered.get());
        Irp b = send();
        assertEquals(1, current.get().waiting());
        current.get().raise("second");
        assertEquals(NtStatus.SUCCESS, b.status());
        assertEquals("second", delivered.get());
    }

    @Test
    public void disposeFailsWhatWaitsAndLeavesNoQueueOnTheDevice() {
        int before = queues();
        List<Irp> waiting = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            current.set(new PendingEventQueue<>(device, "client " + i, (irp, e) -> delivered.set(e)));
            waiting.add(send());
            current.get().dispose(NtStatus.CANCELLED);
            assertEquals(NtStatus.CANCELLED, send().status());
        }
        for (Irp irp : waiting) {
            assertEquals(NtStatus.CANCELLED, irp.status());
        }
        assertEquals("a disposed queue is no longer the device's", before, queues());
    }
}
