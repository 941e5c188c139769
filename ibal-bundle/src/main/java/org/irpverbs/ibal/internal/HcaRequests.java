package org.irpverbs.ibal.internal;

import java.util.concurrent.CompletableFuture;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.IrpCompletionListener;
import org.irpverbs.irp.MajorFunction;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.VerbsIoctl;
import org.irpverbs.verbs.VerbsRequest;

/**
 * IBAL's own requests to an HCA function device: a verbs IOCTL in a new request packet sized for
 * the HCA's stack (a request cannot cross from one stack into another, so a forwarded verb is a
 * new packet carrying the same {@link VerbsRequest} argument, as a Windows bus driver builds an IRP
 * for the device it forwards to).
 *
 * <p>Thread-safe; never blocks.
 */
final class HcaRequests {
    private HcaRequests() {}

    /** Sends {@code request} to {@code hca}; {@code done} runs at DISPATCH when it completes. */
    static Irp send(IoManager io, DeviceObject hca, VerbsRequest<?> request, IrpCompletionListener done) {
        Irp irp = Irp.forDevice(hca);
        irp.nextLocation().setMajorFunction(MajorFunction.INTERNAL_DEVICE_CONTROL).setIoControlCode(request.ioctl())
                .setArgument(request);
        irp.setCompletionListener(done);
        try {
            io.send(hca, irp);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // the HCA's stack changed under us (grew, or was deleted): it is not there for this request
            request.setError(VerbsIoctl.name(request.ioctl()) + " could not be sent to " + hca.name() + ": "
                    + e.getMessage());
            done.completed(completedWith(irp, NtStatus.NO_SUCH_DEVICE));
        }
        return irp;
    }

    /** {@link #send} as a stage completed with the request's status. */
    static CompletableFuture<Integer> call(IoManager io, DeviceObject hca, VerbsRequest<?> request) {
        CompletableFuture<Integer> status = new CompletableFuture<>();
        send(io, hca, request, done -> status.complete(done.status()));
        return status;
    }

    /** Tells {@code done} that {@code request} was not sent to {@code hca}: completed with {@code status}, {@code why} its error. */
    static void refuse(DeviceObject hca, VerbsRequest<?> request, int status, String why, IrpCompletionListener done) {
        request.setError(VerbsIoctl.name(request.ioctl()) + " was not sent to " + hca.name() + ": " + why);
        done.completed(completedWith(Irp.forDevice(hca), status));
    }

    private static Irp completedWith(Irp unsent, int status) {
        unsent.setStatus(status, 0);
        return unsent;
    }

    /** "QUERY_PORT failed: STATUS_X (reason)" for logs and refusals. */
    static String failure(VerbsRequest<?> request, int status) {
        return VerbsIoctl.name(request.ioctl()) + " failed: " + NtStatus.name(status)
                + (request.error() == null ? "" : " (" + request.error() + ")");
    }
}
