package org.irpverbs.hca.core.internal;

import org.irpverbs.irp.DeviceObject;
import org.irpverbs.verbs.VerbsInterface;
import org.irpverbs.verbs.VerbsSpeedPath;

/** The versioned verbs interface of one HCA function device (QUERY_INTERFACE). Immutable. */
record HcaVerbsInterface(FunctionDevice hca) implements VerbsInterface {
    @Override
    public int version() {
        return VerbsInterface.CURRENT;
    }

    @Override
    public String name() {
        return hca.name();
    }

    @Override
    public DeviceObject device() {
        return hca.fdo();
    }

    @Override
    public VerbsSpeedPath speedPath() {
        return hca.speedPath();
    }
}
