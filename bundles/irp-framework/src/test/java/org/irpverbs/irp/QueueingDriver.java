package org.irpverbs.irp;

/** A bottom device that queues every request in a cancel-safe queue until told to complete them. */
final class QueueingDriver {
    final DriverObject driver;
    volatile CancelSafeQueue queue;

    QueueingDriver(String name) {
        driver = DriverObject.builder(name).dispatch(MajorFunction.INTERNAL_DEVICE_CONTROL, (d, irp) -> queue.insert(irp))
                .dispatch(MajorFunction.DEVICE_CONTROL, (d, irp) -> queue.insert(irp)).build();
    }

    DeviceObject create(IoManager io, String name) {
        DeviceObject pdo = io.createPhysicalDevice(driver, name, java.util.List.of("TEST\\QUEUE"), null);
        queue = new CancelSafeQueue(pdo, name + "-queue");
        return pdo;
    }

    /** Completes the oldest queued request; false if none. */
    boolean completeNext(int status) {
        Irp irp = queue.removeNext();
        if (irp == null) {
            return false;
        }
        irp.complete(status);
        return true;
    }
}
