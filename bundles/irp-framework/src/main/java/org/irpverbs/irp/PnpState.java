package org.irpverbs.irp;

/** A device's PnP state, as the default PnP dispatch moves it. */
public enum PnpState {
    NOT_STARTED, STARTED, REMOVE_PENDING, SURPRISE_REMOVED, DELETED
}
