package org.irpverbs.hca.core.internal;

import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.ProtectionDomain;

/**
 * ALLOC_PD and DEALLOC_PD: a PD is a number from the PD table; the firmware learns it with the
 * objects created in it (MPT entries, QP contexts), so neither verb costs a command. A PD with live
 * MRs, QPs or AHs cannot be deallocated (IBA 11.2.1.2).
 */
final class PdVerbs {
    private PdVerbs() {}

    static int alloc(VerbCall call) {
        Tables t = call.device.tables();
        int number = t.pds.allocate();
        if (number < 0) {
            return call.reject(NtStatus.INSUFFICIENT_RESOURCES,
                    "the PD table is full (" + t.pds.capacity() + " PDs)");
        }
        PdContext pd = new PdContext(number);
        call.succeed(new ProtectionDomain(call.device.fdo(), call.file, number, pd));
        return NtStatus.SUCCESS;
    }

    static int dealloc(VerbCall call, ProtectionDomain handle) {
        String invalid = call.device.invalid(handle, "PD", call.file, PdContext.class);
        if (invalid != null) {
            return call.reject(NtStatus.INVALID_HANDLE, invalid);
        }
        PdContext pd = (PdContext) handle.driverState();
        String busy = pd.life.beginDestroy("PD " + pd.number, "objects (MRs, QPs, AHs)");
        if (busy != null) {
            return call.reject(handle.isDestroyed() ? NtStatus.INVALID_HANDLE : NtStatus.INVALID_DEVICE_STATE, busy);
        }
        handle.markDestroyed();
        call.device.tables().pds.free(pd.number);
        pd.life.destroyed();
        call.succeed();
        return NtStatus.SUCCESS;
    }

    /** Takes a reference on the PD a new object is created in; null if it may be used, else why not. */
    static String use(VerbCall call, ProtectionDomain handle) {
        String invalid = call.device.invalid(handle, "PD", call.file, PdContext.class);
        if (invalid != null) {
            return invalid;
        }
        if (!((PdContext) handle.driverState()).life.use()) {
            return "PD " + handle.number() + " is being deallocated";
        }
        return null;
    }
}
