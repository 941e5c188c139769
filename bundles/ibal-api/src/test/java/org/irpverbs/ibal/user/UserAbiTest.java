package org.irpverbs.ibal.user;

import static org.junit.Assert.assertEquals;

import org.irpverbs.irp.IoctlCode;
import org.junit.Test;

/** The codes and record sizes are those docs/ibal-user-abi.md gives: an ABI does not drift. */
public class UserAbiTest {
    @Test
    public void theCodesAreTheDocumentedOnes() {
        int[] codes = {IbalUserIoctl.QUERY_CAS, IbalUserIoctl.QUERY_PORT, IbalUserIoctl.CREATE_PD,
            IbalUserIoctl.DESTROY_PD, IbalUserIoctl.CREATE_CQ, IbalUserIoctl.DESTROY_CQ, IbalUserIoctl.CREATE_QP,
            IbalUserIoctl.DESTROY_QP, IbalUserIoctl.MODIFY_QP, IbalUserIoctl.REG_MR, IbalUserIoctl.DEREG_MR,
            IbalUserIoctl.CREATE_AH, IbalUserIoctl.DESTROY_AH, IbalUserIoctl.POLL_CQ, IbalUserIoctl.POST_SEND,
            IbalUserIoctl.POST_RECV};
        int[] documented = {0x80016800, 0x80016804, 0x8001A808, 0x8001A80C, 0x8001A810, 0x8001A814, 0x8001A818,
            0x8001A81C, 0x8001A820, 0x8001A824, 0x8001A828, 0x8001A82C, 0x8001A830, 0x8001A834, 0x8001A838,
            0x8001A83C};
        for (int i = 0; i < codes.length; i++) {
            assertEquals(IbalUserIoctl.name(codes[i]), String.format("0x%08X", documented[i]),
                    String.format("0x%08X", codes[i]));
            assertEquals(i, IbalUserIoctl.function(codes[i]));
            assertEquals(IoctlCode.METHOD_BUFFERED, IoctlCode.method(codes[i]));
        }
        assertEquals("IBAL_USER_MODIFY_QP", IbalUserIoctl.name(IbalUserIoctl.MODIFY_QP));
        assertEquals(-1, IbalUserIoctl.function(0x12345678));
    }

    @Test
    public void theRecordsHaveTheDocumentedSizesAndLastFields() {
        assertEquals(8 + 64, UserRecords.QueryCasOut.HEADER_SIZE + UserRecords.Ca.SIZE);
        assertEquals(UserRecords.Ca.SIZE, UserRecords.Ca.NAME + UserRecords.Ca.NAME_LENGTH);
        assertEquals(16, UserRecords.QueryPortIn.SIZE);
        assertEquals(UserRecords.QueryPortOut.SIZE, UserRecords.QueryPortOut.PHYSICAL_STATE + 4);
        assertEquals(UserRecords.CreateQpIn.SIZE, UserRecords.CreateQpIn.FLAGS + 4);
        assertEquals(UserRecords.ModifyQpIn.SIZE, UserRecords.ModifyQpIn.DEST_QPN + 4);
        assertEquals(UserRecords.RegMrIn.SIZE, UserRecords.RegMrIn.RESERVED + 4);
        assertEquals(UserRecords.CreateAhIn.SIZE, UserRecords.CreateAhIn.RESERVED + 4);
        assertEquals(UserRecords.PostSendIn.SIZE, UserRecords.PostSendIn.IMMEDIATE_DATA + 4);
        assertEquals(UserRecords.PostRecvIn.SIZE, UserRecords.PostRecvIn.LKEY + 4);
        assertEquals(UserRecords.WorkCompletionRecord.SIZE, UserRecords.WorkCompletionRecord.RESERVED + 4);
        assertEquals(8 + 3 * 48, UserRecords.PollCqOut.size(3));
        assertEquals(3, UserRecords.Handle.type(0x0300_0001_0000_0002L));
        assertEquals("QP", UserRecords.Handle.typeName(UserRecords.Handle.QP));
    }
}
