package org.irpverbs.verbs;

import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.FileObject;

/** An address handle: the destination of UD sends. */
public final class AddressHandle extends VerbsHandle {
    public AddressHandle(DeviceObject hca, FileObject owner, int number, Object driverState) {
        super(hca, owner, number, driverState);
    }
}
