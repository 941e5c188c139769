package org.irpverbs.softhca;

/** HCR command opcodes (Mellanox PRM / mthca_cmd.c values) with their latency class. */
public enum Opcode {
    SYS_EN(0x001, LatencyClass.C),
    SYS_DIS(0x002, LatencyClass.C),
    QUERY_DEV_LIM(0x003, LatencyClass.A),
    QUERY_FW(0x004, LatencyClass.A),
    INIT_HCA(0x007, LatencyClass.C),
    CLOSE_HCA(0x008, LatencyClass.C),
    INIT_IB(0x009, LatencyClass.C),
    CLOSE_IB(0x00a, LatencyClass.C),
    SW2HW_MPT(0x00d, LatencyClass.B),
    HW2SW_MPT(0x00f, LatencyClass.B),
    WRITE_MTT(0x011, LatencyClass.B),
    SW2HW_EQ(0x013, LatencyClass.B),
    HW2SW_EQ(0x014, LatencyClass.B),
    SW2HW_CQ(0x016, LatencyClass.B),
    HW2SW_CQ(0x017, LatencyClass.B),
    RST2INIT_QPEE(0x019, LatencyClass.B),
    INIT2RTR_QPEE(0x01a, LatencyClass.B),
    RTR2RTS_QPEE(0x01b, LatencyClass.B),
    RTS2RTS_QPEE(0x01c, LatencyClass.B),
    SQERR2RTS_QPEE(0x01d, LatencyClass.B),
    TO_ERR_QPEE(0x01e, LatencyClass.B),
    RTS2SQD_QPEE(0x01f, LatencyClass.B),
    SQD2RTS_QPEE(0x020, LatencyClass.B),
    TO_RST_QPEE(0x021, LatencyClass.B),
    QUERY_QPEE(0x022, LatencyClass.A),
    CONF_SPECIAL_QP(0x023, LatencyClass.B),
    MAD_IFC(0x024, LatencyClass.A),
    READ_MGM(0x025, LatencyClass.A),
    WRITE_MGM(0x026, LatencyClass.B),
    RESIZE_CQ(0x02c, LatencyClass.B),
    INIT2INIT_QPEE(0x02d, LatencyClass.B),
    NOP(0x031, LatencyClass.A),
    SQD2SQD_QPEE(0x038, LatencyClass.B),
    RUN_FW(0xff6, LatencyClass.C),
    UNMAP_ICM(0xff9, LatencyClass.B),
    MAP_ICM(0xffa, LatencyClass.B),
    MAP_FA(0xfff, LatencyClass.C);

    private final int code;
    private final LatencyClass latencyClass;

    Opcode(int code, LatencyClass latencyClass) {
        this.code = code;
        this.latencyClass = latencyClass;
    }

    public int code() {
        return code;
    }

    public LatencyClass latencyClass() {
        return latencyClass;
    }
}
