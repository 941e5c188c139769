package org.irpverbs.verbs;

/**
 * What QUERY_PORT returns.
 *
 * @param port      port number (1-based)
 * @param state     logical state
 * @param maxMtu    largest MTU the port supports
 * @param activeMtu MTU in use
 * @param lid       base LID (0 until assigned)
 * @param smLid     the subnet manager's LID
 * @param portGuid  the port GUID (GID interface ID)
 * @param gidPrefix subnet prefix (default 0xfe80000000000000)
 * @param pkeys     the P_Key table (index 0 is the default 0xffff)
 */
public record PortAttributes(int port, PortState state, Mtu maxMtu, Mtu activeMtu, int lid, int smLid, long portGuid,
        long gidPrefix, int[] pkeys) {
}
