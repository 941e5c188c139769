package org.irpverbs.irp;

/**
 * A snapshot of one device's request counters.
 *
 * @param inFlight  admitted and not yet finished (a request the device passed on with
 *                  {@link Irp#skipCurrentLocation()} counts until it completes, and then with the
 *                  status it completed with)
 * @param completed finished with a success status
 * @param failed    finished with an error other than cancelled or timed out (including refusals)
 * @param cancelled finished with {@link NtStatus#CANCELLED}
 * @param timedOut  finished with {@link NtStatus#IO_TIMEOUT}
 */
public record DeviceStatistics(long inFlight, long completed, long failed, long cancelled, long timedOut) {
}
