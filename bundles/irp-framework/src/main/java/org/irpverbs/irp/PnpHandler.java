package org.irpverbs.irp;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A driver's PnP callbacks. The framework's PnP dispatch calls them in the Windows order (see
 * {@link PnpMinorFunction}); a driver that needs full control registers its own dispatch routine
 * for {@link MajorFunction#PNP} instead. Every callback runs at DISPATCH and must not block:
 * work that needs the hardware returns a stage completed later (e.g. by a command's completion).
 */
@ConsumerType
public interface PnpHandler {
    /** A handler that accepts everything and does nothing. */
    PnpHandler NONE = new PnpHandler() {};

    CompletionStage<Integer> SUCCESS = CompletableFuture.completedFuture(NtStatus.SUCCESS);

    /** START_DEVICE, after every device below has started; the result becomes the request's status. */
    default CompletionStage<Integer> start(DeviceObject device) {
        return SUCCESS;
    }

    /** QUERY_REMOVE_DEVICE: return an error status to veto. */
    default int queryRemove(DeviceObject device) {
        return NtStatus.SUCCESS;
    }

    /** CANCEL_REMOVE_DEVICE: a vetoed or abandoned removal; the device runs on. */
    default void cancelRemove(DeviceObject device) {
    }

    /**
     * SURPRISE_REMOVAL: the hardware is gone. The framework already refuses new requests and has
     * failed the device's queues; the driver fails whatever it still holds (e.g. commands sent to
     * the hardware) with {@link NtStatus#DEVICE_REMOVED}.
     */
    default void surpriseRemoval(DeviceObject device) {
    }

    /**
     * REMOVE_DEVICE, after every request in flight on this device has finished and before the
     * request goes to the device below: release the device's resources.
     */
    default CompletionStage<Integer> remove(DeviceObject device) {
        return SUCCESS;
    }

    /** QUERY_INTERFACE: a direct-call interface of the given type, or null to ask the device below. */
    default Object queryInterface(DeviceObject device, Class<?> type) {
        return null;
    }

    /** QUERY_DEVICE_RELATIONS (bus relations): a bus driver's children, or null if not a bus. */
    default List<DeviceObject> queryBusRelations(DeviceObject device) {
        return null;
    }
}
