package org.irpverbs.irp;

/**
 * The PnP minor functions ({@code IRP_MN_*}) the framework sends, with the Windows ordering rules
 * that {@link PnpHandler}'s default dispatch applies:
 * <ul>
 * <li>{@link #START_DEVICE}: passed down first; each device starts after the devices below it.</li>
 * <li>{@link #QUERY_REMOVE_DEVICE}: top-down; any device may veto, then {@link #CANCEL_REMOVE_DEVICE}
 * (bottom-up) undoes it.</li>
 * <li>{@link #REMOVE_DEVICE}: top-down; each device refuses new requests, waits (without blocking a
 * thread) for its requests in flight, then passes the request down and is deleted.</li>
 * <li>{@link #SURPRISE_REMOVAL}: top-down; the device fails every queued request with
 * {@link NtStatus#DEVICE_REMOVED} and refuses new ones; a {@link #REMOVE_DEVICE} follows.</li>
 * <li>{@link #QUERY_INTERFACE}: top-down until a device answers.</li>
 * <li>{@link #QUERY_DEVICE_RELATIONS}: answered by the bus driver with its child devices.</li>
 * </ul>
 */
public enum PnpMinorFunction {
    START_DEVICE,
    QUERY_REMOVE_DEVICE,
    REMOVE_DEVICE,
    CANCEL_REMOVE_DEVICE,
    SURPRISE_REMOVAL,
    QUERY_INTERFACE,
    QUERY_DEVICE_RELATIONS
}
