package org.irpverbs.softhca;

import org.irpverbs.irp.NtStatus;

/** HCR command completion status (Mellanox PRM values). */
public enum CommandStatus {
    OK(0x00), INTERNAL_ERR(0x01), BAD_OP(0x02), BAD_PARAM(0x03), BAD_SYS_STATE(0x04), BAD_RESOURCE(0x05),
    RESOURCE_BUSY(0x06), EXCEED_LIM(0x08), BAD_RES_STATE(0x09), BAD_INDEX(0x0a), BAD_QP_STATE(0x10),
    /** Mem-free: the command touched context memory whose ICM chunk is not mapped. */
    ICM_NOT_MAPPED(0x22);

    private final int code;

    CommandStatus(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The request status a driver completes a verb with when its command ended so. */
    public int ntStatus() {
        return switch (this) {
            case OK -> NtStatus.SUCCESS;
            case BAD_PARAM, BAD_INDEX, BAD_OP -> NtStatus.INVALID_PARAMETER;
            case BAD_RESOURCE, EXCEED_LIM, RESOURCE_BUSY -> NtStatus.INSUFFICIENT_RESOURCES;
            case BAD_QP_STATE, BAD_RES_STATE, BAD_SYS_STATE -> NtStatus.INVALID_DEVICE_STATE;
            case ICM_NOT_MAPPED, INTERNAL_ERR -> NtStatus.INTERNAL_ERROR;
        };
    }
}
