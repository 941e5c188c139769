package org.irpverbs.hca.core.internal;

import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.AddressHandle;
import org.irpverbs.verbs.VerbsRequest;

/**
 * CREATE_AH and DESTROY_AH: an address handle is an address vector the driver keeps (mthca puts it
 * in an AV table the HCA reads at send time; here the speed path hands its LID to the hardware with
 * each UD send), so neither verb costs a command.
 */
final class AhVerbs {
    private AhVerbs() {}

    static int create(VerbCall call) {
        VerbsRequest.CreateAh request = (VerbsRequest.CreateAh) call.request;
        int ports = call.device.config().ports();
        if (request.port < 1 || request.port > ports) {
            return call.reject(NtStatus.INVALID_PARAMETER, "port must be 1.." + ports + ", was " + request.port);
        }
        if (request.destLid < 1 || request.destLid >= 0xC000) {
            return call.reject(NtStatus.INVALID_PARAMETER,
                    "destination LID must be a unicast LID 1..0xBFFF, was " + request.destLid);
        }
        if (request.serviceLevel < 0 || request.serviceLevel > 15) {
            return call.reject(NtStatus.INVALID_PARAMETER, "service level must be 0..15, was " + request.serviceLevel);
        }
        String pdProblem = PdVerbs.use(call, request.pd);
        if (pdProblem != null) {
            return call.reject(NtStatus.INVALID_HANDLE, pdProblem);
        }
        PdContext pd = (PdContext) request.pd.driverState();
        Tables t = call.device.tables();
        int number = t.ahs.allocate();
        if (number < 0) {
            pd.life.unuse();
            return call.reject(NtStatus.INSUFFICIENT_RESOURCES, "the AH table is full (" + t.ahs.capacity() + " AHs)");
        }
        AhContext ah = new AhContext(pd, number, request.port, request.destLid, request.serviceLevel);
        call.succeed(new AddressHandle(call.device.fdo(), call.file, number, ah));
        return NtStatus.SUCCESS;
    }

    static int destroy(VerbCall call, AddressHandle handle) {
        String invalid = call.device.invalid(handle, "AH", call.file, AhContext.class);
        if (invalid != null) {
            return call.reject(NtStatus.INVALID_HANDLE, invalid);
        }
        AhContext ah = (AhContext) handle.driverState();
        String busy = ah.life.beginDestroy("AH " + ah.number, "users");
        if (busy != null) {
            return call.reject(NtStatus.INVALID_HANDLE, busy);
        }
        handle.markDestroyed();
        call.device.tables().ahs.free(ah.number);
        ah.pd.life.unuse();
        ah.life.destroyed();
        call.succeed();
        return NtStatus.SUCCESS;
    }
}
