package org.irpverbs.irp;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import org.junit.Test;

/** The status values and names are Windows' (traces read the same as a Windows driver's). */
public class NtStatusTest {
    @Test
    public void invalidParameterNIsWindowsRange() {
        assertEquals(0xC00000EF, NtStatus.invalidParameter(1));
        assertEquals(0xC00000FA, NtStatus.invalidParameter(12));
        assertEquals(NtStatus.INVALID_PARAMETER_12, NtStatus.invalidParameter(12));
        assertEquals("STATUS_INVALID_PARAMETER_1", NtStatus.name(NtStatus.INVALID_PARAMETER_1));
        assertEquals("STATUS_INVALID_PARAMETER_7", NtStatus.name(NtStatus.invalidParameter(7)));
        assertEquals("STATUS_INVALID_PARAMETER_12", NtStatus.name(NtStatus.INVALID_PARAMETER_12));
        assertFalse(NtStatus.isSuccess(NtStatus.invalidParameter(3)));
    }

    @Test(expected = IllegalArgumentException.class)
    public void invalidParameterThirteenDoesNotExist() {
        NtStatus.invalidParameter(13);
    }

    @Test
    public void theLengthAndTypeStatusesHaveTheirNames() {
        assertEquals("STATUS_INFO_LENGTH_MISMATCH", NtStatus.name(0xC0000004));
        assertEquals("STATUS_OBJECT_TYPE_MISMATCH", NtStatus.name(0xC0000024));
        assertEquals("STATUS_INVALID_BUFFER_SIZE", NtStatus.name(0xC0000206));
        assertEquals("0xC00000FB", NtStatus.name(0xC00000FB));
    }
}
