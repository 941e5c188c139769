package org.irpverbs.verbs;

import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.FileObject;

/** A protection domain. */
public final class ProtectionDomain extends VerbsHandle {
    public ProtectionDomain(DeviceObject hca, FileObject owner, int number, Object driverState) {
        super(hca, owner, number, driverState);
    }
}
