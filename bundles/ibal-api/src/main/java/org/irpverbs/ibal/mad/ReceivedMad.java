package org.irpverbs.ibal.mad;

/**
 * A MAD as the service received it: the MAD, its source (where a reply goes), and the local port.
 *
 * <p>Immutable and thread-safe.
 */
public record ReceivedMad(Mad mad, MadAddress source, int port) {
}
