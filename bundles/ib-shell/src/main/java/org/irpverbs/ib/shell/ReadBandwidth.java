package org.irpverbs.ib.shell;

import org.irpverbs.irp.IoManager;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.WrOpcode;

/**
 * {@code ib:read_bw}: RDMA READs of {@code -s} bytes from the remote buffer into the local one,
 * {@code -t} posted, at most {@value #MAX_READS} of them outstanding (the responder accepts as
 * many), {@code -n} in all (or for {@code -D} seconds). Then the local buffer must equal the
 * remote one.
 */
final class ReadBandwidth extends Perftest {
    /** Outstanding RDMA READs per QP (mthca's max_qp_rd_atom is 4 on Tavor, more on Arbel; the soft HCA takes 16). */
    static final int MAX_READS = 16;
    static final String DESCRIPTION = "RDMA READ bandwidth between two HCA ports, as ib_read_bw: RC QPs, -t reads"
            + " posted (at most " + MAX_READS + " outstanding), the data verified at the end.";

    ReadBandwidth(IoManager io, PerftestArgs args) {
        super(io, args);
    }

    @Override
    String title() {
        return "RDMA_Read BW Test";
    }

    @Override
    int remoteAccess() {
        return AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_READ;
    }

    @Override
    int readDepth() {
        return Math.min(MAX_READS, args.depth());
    }

    @Override
    String readDepthNote() {
        return args.depth() > MAX_READS ? " (the most a QP takes; -t " + args.depth() + " reads are posted)" : "";
    }

    @Override
    String measure(Endpoint local, Endpoint remote, Iterations run) {
        int size = args.size();
        fill(remote.buffer, 0, size, 2);
        String result = rdmaBandwidth(local, remote, run, WrOpcode.RDMA_READ, "RDMA READ");
        verify("RDMA READ from " + remote.hca.name(), remote.buffer, 0, local.buffer, 0, size);
        return result + String.format(" data verified: the %d bytes read into %s equal those at %s%n", size,
                local.hca.name(), remote.hca.name());
    }
}
