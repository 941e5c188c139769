package org.irpverbs.ib.shell;

import java.util.List;
import java.util.Map;
import org.irpverbs.hca.core.HcaDevice;
import org.irpverbs.hca.core.HcaStatistics;
import org.irpverbs.hca.core.IcmUsage;
import org.irpverbs.hca.core.ResourceUsage;
import org.irpverbs.irp.IoManager;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.softhca.Opcode;
import org.irpverbs.softhca.cmdif.CommandStatistics;

/**
 * {@code ib:cmdif}: per HCA, its command interface (mode, outstanding/max, queued now and at most,
 * commands completed per opcode, timeouts, stale completions, requests cancelled while queued), its
 * resource tables, and where context memory lives with the ICM chunks mapped per table (mem-free);
 * {@code -d <hca>} for one HCA. Reads snapshots; runs anywhere.
 */
final class CmdifReport {
    static final CommandLine.Spec SPEC = new CommandLine.Spec("ib:cmdif", "", 0,
            "Per HCA: its command interface (mode, outstanding, queued, commands per opcode, timeouts), resource"
                    + " tables in use and context memory (ICM chunks mapped, mem-free).",
            new CommandLine.Option("-d", "--ib-dev", "hca", "only this HCA"));

    private CmdifReport() {}

    static String report(IoManager io) {
        return report(io, SPEC.parse());
    }

    static String report(IoManager io, CommandLine line) {
        String only = line.value("-d");
        List<HcaDevice> hcas = Hcas.all(io).stream().filter(h -> only == null || h.name().equals(only)).toList();
        if (only != null && hcas.isEmpty()) {
            try {
                Hcas.named(io, only);
            } catch (IllegalArgumentException e) {
                throw SPEC.failure("-d: " + e.getMessage());
            }
        }
        if (hcas.isEmpty()) {
            return "No HCA devices\n";
        }
        StringBuilder out = new StringBuilder();
        for (HcaDevice hca : hcas) {
            HcaStatistics s = hca.statistics();
            CommandStatistics c = s.commands();
            out.append(s.name()).append("  ").append(hca.device().name()).append(" (").append(hca.device().driver().name())
                    .append("), ").append(s.state()).append('\n');
            out.append(String.format("  command interface: mode %s, outstanding %d/%d, queued %d (max %d), timeouts %d,"
                    + " stale %d, cancelled %d%n", c.mode(), c.outstanding(), c.maxOutstanding(), c.queued(), c.maxQueued(),
                    c.timedOut(), c.staleCompletions(), c.cancelledQueued()));
            out.append("  commands:");
            if (c.completedByOpcode().isEmpty()) {
                out.append(" none");
            }
            int n = 0;
            for (Map.Entry<Opcode, Long> e : c.completedByOpcode().entrySet()) {
                out.append(n++ % 6 == 0 ? "\n    " : "  ").append(String.format("%-14s %6d", e.getKey(), e.getValue()));
            }
            out.append('\n');
            out.append("  resources:");
            for (Map.Entry<String, ResourceUsage> e : s.resources().entrySet()) {
                out.append(' ').append(e.getKey()).append(' ').append(e.getValue());
            }
            out.append('\n');
            out.append("  context memory: ").append(s.memoryMode());
            if (s.icm().isEmpty()) {
                out.append(" (tables carved at INIT_HCA, no ICM)\n");
            } else {
                out.append("\n    ICM chunks mapped:");
                for (Map.Entry<IcmTable, IcmUsage> e : s.icm().entrySet()) {
                    IcmUsage u = e.getValue();
                    out.append(String.format("%n      %-5s %4d (references %d, MAP_ICM %d, UNMAP_ICM %d)", e.getKey(),
                            u.chunksMapped(), u.references(), u.maps(), u.unmaps()));
                }
                out.append('\n');
            }
            out.append(String.format("  waiting: %d CQ notification(s), %d async event request(s); %d async event(s) kept,"
                    + " %d dropped; %d completion event(s)%n", s.pendingNotifications(), s.pendingAsyncRequests(),
                    s.queuedAsyncEvents(), s.droppedAsyncEvents(), s.completionEvents()));
            if (s.lastError() != null) {
                out.append("  last error: ").append(s.lastError()).append('\n');
            }
        }
        return out.toString();
    }
}
