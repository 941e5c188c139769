package org.irpverbs.irp;

import java.nio.ByteBuffer;

/**
 * The outcome of a request seen from outside the framework.
 *
 * @param status      the final status
 * @param information the information value (for data transfers: bytes returned)
 * @param output      the returned data (position 0, limit = bytes returned), or null
 */
public record IoResult(int status, long information, ByteBuffer output) {
    public boolean isSuccess() {
        return NtStatus.isSuccess(status);
    }

    @Override
    public String toString() {
        return NtStatus.name(status) + " (information " + information + ")";
    }
}
