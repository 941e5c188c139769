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
 * @param physicalState  PortPhysicalState (IBA 14.2.5.6): 1 Sleep, 2 Polling, 3 Disabled, 4 PortConfigurationTraining,
 *                       5 LinkUp, 6 LinkErrorRecovery, 7 PhyTest; 0 if unknown
 * @param activeWidth    lanes in use (LinkWidthActive as a count: 1, 4, 8 or 12); 0 if unknown
 * @param activeSpeedGbps signalling rate per lane (LinkSpeedActive: 2.5, 5.0 or 10.0); 0 if unknown
 * @param capabilityMask PortInfo CapabilityMask
 */
public record PortAttributes(int port, PortState state, Mtu maxMtu, Mtu activeMtu, int lid, int smLid, long portGuid,
        long gidPrefix, int[] pkeys, int physicalState, int activeWidth, double activeSpeedGbps, int capabilityMask) {

    /** Without the physical-layer fields (for HCAs whose PortInfo does not carry them). */
    public PortAttributes(int port, PortState state, Mtu maxMtu, Mtu activeMtu, int lid, int smLid, long portGuid,
            long gidPrefix, int[] pkeys) {
        this(port, state, maxMtu, activeMtu, lid, smLid, portGuid, gidPrefix, pkeys, 0, 0, 0, 0);
    }

    /** The port's data rate in Gb/s (width × lane speed), as ibstat's "Rate"; 0 if unknown. */
    public double rateGbps() {
        return activeWidth * activeSpeedGbps;
    }

    /** The physical state's name as ibstat prints it. */
    public String physicalStateName() {
        return switch (physicalState) {
            case 1 -> "Sleep";
            case 2 -> "Polling";
            case 3 -> "Disabled";
            case 4 -> "PortConfigurationTraining";
            case 5 -> "LinkUp";
            case 6 -> "LinkErrorRecovery";
            case 7 -> "PhyTest";
            default -> "Unknown";
        };
    }
}
