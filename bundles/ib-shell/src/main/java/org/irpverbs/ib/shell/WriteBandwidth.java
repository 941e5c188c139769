package org.irpverbs.ib.shell;

import org.irpverbs.irp.IoManager;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.WrOpcode;

/**
 * {@code ib:write_bw}: RDMA WRITEs of {@code -s} bytes from the local buffer to the remote one,
 * {@code -t} in flight, {@code -n} in all (or for {@code -D} seconds); bandwidth from the
 * requester's completions (an RC write completes when the responder acknowledged it). Then the
 * remote buffer must equal the local one.
 */
final class WriteBandwidth extends Perftest {
    static final String DESCRIPTION = "RDMA WRITE bandwidth between two HCA ports, as ib_write_bw: RC QPs, -t writes"
            + " in flight, the data verified at the end.";

    WriteBandwidth(IoManager io, PerftestArgs args) {
        super(io, args);
    }

    @Override
    String title() {
        return "RDMA_Write BW Test";
    }

    @Override
    int remoteAccess() {
        return AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_WRITE;
    }

    @Override
    String measure(Endpoint local, Endpoint remote, Iterations run) {
        int size = args.size();
        fill(local.buffer, 0, size, 1);
        String result = rdmaBandwidth(local, remote, run, WrOpcode.RDMA_WRITE, "RDMA WRITE");
        verify("RDMA WRITE to " + remote.hca.name(), local.buffer, 0, remote.buffer, 0, size);
        return result + String.format(" data verified: the %d bytes at %s equal the bytes written from %s%n", size,
                remote.hca.name(), local.hca.name());
    }
}
