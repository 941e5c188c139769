package org.irpverbs.hca.core.internal;

import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.DataPath;
import org.irpverbs.verbs.AddressHandle;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.VerbsSpeedPath;
import org.irpverbs.verbs.WorkCompletion;

/**
 * The speed path an HCA function device hands out with QUERY_INTERFACE (claim 4 of docs/architecture.md §1:
 * post and poll stay direct calls). Each call checks, in a few field reads and no allocation, that
 * the QP or CQ is this HCA's and alive and the device started, resolves a UD send's address handle
 * to its LID, and goes straight to the hardware's data path, which copies the work request.
 *
 * <p>Thread-safe: reads only volatile state; the hardware serialises per queue.
 */
final class HcaSpeedPath implements VerbsSpeedPath {
    private final FunctionDevice device;

    HcaSpeedPath(FunctionDevice device) {
        this.device = device;
    }

    @Override
    public int postSend(QueuePair qp, SendWorkRequest wr) {
        if (qp == null || wr == null || !mine(qp) || !(qp.driverState() instanceof QpContext context)) {
            return NtStatus.INVALID_PARAMETER;
        }
        DataPath path = startedPath();
        if (path == null) {
            return NtStatus.INVALID_DEVICE_STATE;
        }
        int destLid = 0;
        if (qp.type() == QpType.UD) {
            AddressHandle ah = wr.addressHandle;
            if (ah == null || !mine(ah) || !(ah.driverState() instanceof AhContext address) || address.pd != context.pd) {
                // a UD send needs an address handle of this HCA in the QP's PD (IBA 10.2.3)
                return NtStatus.INVALID_PARAMETER;
            }
            destLid = address.destLid;
        }
        return path.postSend(qp.number(), wr, destLid);
    }

    @Override
    public int postReceive(QueuePair qp, ReceiveWorkRequest wr) {
        if (qp == null || wr == null || !mine(qp) || !(qp.driverState() instanceof QpContext)) {
            return NtStatus.INVALID_PARAMETER;
        }
        DataPath path = startedPath();
        if (path == null) {
            return NtStatus.INVALID_DEVICE_STATE;
        }
        return path.postReceive(qp.number(), wr);
    }

    @Override
    public int pollCq(CompletionQueue cq, WorkCompletion[] out, int max) {
        if (cq == null || out == null || !mine(cq) || !(cq.driverState() instanceof CqContext)) {
            return -1;
        }
        DataPath path = startedPath();
        if (path == null) {
            return -1;
        }
        // kept although softhca's data path clamps too: the DataPath contract does not promise any
        // implementation handles a max beyond out.length or below 1
        int n = Math.min(max, out.length);
        if (n <= 0) {
            return 0;
        }
        return path.pollCq(cq.number(), out, n);
    }

    /** The hardware's data path if the device is started, else null (the caller's status says why). */
    private DataPath startedPath() {
        DataPath path = device.dataPath();
        return device.isStarted() ? path : null;
    }

    private boolean mine(org.irpverbs.verbs.VerbsHandle handle) {
        return handle.hca() == device.fdo() && !handle.isDestroyed();
    }
}
