package org.irpverbs.ibal.mad;

/** Management class codes (IBA 13.4.4, Table 106) and where each travels. */
public final class ManagementClass {
    private ManagementClass() {}

    /** Subnet management, LID-routed (QP0). */
    public static final int SUBN_LID_ROUTED = 0x01;
    /** Subnet administration (QP1), class version 2. */
    public static final int SUBN_ADM = 0x03;
    public static final int PERF_MGMT = 0x04;
    public static final int BASEBOARD_MGMT = 0x05;
    /** Device management (QP1). */
    public static final int DEV_MGMT = 0x06;
    /** Communication management (QP1), class version 2. */
    public static final int COMM_MGMT = 0x07;
    public static final int SNMP = 0x08;
    /** Subnet management, directed route (QP0). */
    public static final int SUBN_DIRECTED_ROUTE = 0x81;

    /** Whether MADs of this class are SMPs, sent and received on QP0 (the others use QP1). */
    public static boolean isSubnetManagement(int mgmtClass) {
        return mgmtClass == SUBN_LID_ROUTED || mgmtClass == SUBN_DIRECTED_ROUTE;
    }
}
