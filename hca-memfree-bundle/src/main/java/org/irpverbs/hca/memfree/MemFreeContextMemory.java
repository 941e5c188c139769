package org.irpverbs.hca.memfree;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.irpverbs.hca.core.CommandRunner;
import org.irpverbs.hca.core.ContextMemory;
import org.irpverbs.hca.core.Continuation;
import org.irpverbs.hca.core.IcmUsage;
import org.irpverbs.hca.core.StartupFailure;
import org.irpverbs.hca.core.StartupStep;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.IcmTable;

/**
 * Mem-free (Arbel) context memory: contexts live in host memory (ICM) that the driver maps into the
 * HCA in 256 KiB chunks as objects need them ({@link IcmChunks}, one per table). Bring-up: QUERY_FW,
 * MAP_FA (the firmware's own host memory area), RUN_FW, QUERY_DEV_LIM, INIT_HCA with the full
 * profile (host memory is not the limit on-card DDR is). Mapping is per use, so the profile costs
 * nothing until objects exist.
 *
 * <p>Thread-safe; never blocks (waiting for a chunk is a continuation).
 */
public final class MemFreeContextMemory implements ContextMemory {
    /**
     * Pages MAP_FA gives the firmware. mthca takes the count from QUERY_FW (fw_pages); the soft
     * HCA's QUERY_FW does not report one, so the driver gives the 1 MiB an Arbel's firmware area took.
     */
    static final int FIRMWARE_AREA_PAGES = 256;

    private final Map<IcmTable, IcmChunks> tables = new EnumMap<>(IcmTable.class);

    public MemFreeContextMemory() {
        for (IcmTable table : IcmTable.values()) {
            tables.put(table, new IcmChunks(table));
        }
    }

    @Override
    public String mode() {
        return "ICM (mem-free)";
    }

    @Override
    public boolean memFree() {
        return true;
    }

    @Override
    public List<StartupStep> startup() {
        return List.of(
                state -> new Command.QueryFw(),
                state -> new Command.MapFa(FIRMWARE_AREA_PAGES),
                state -> new Command.RunFw(),
                state -> new Command.QueryDevLim(),
                state -> {
                    Command.DeviceLimits limits = state.limits();
                    HcaConfig config = state.config();
                    if (!limits.memFreeCapable()) {
                        throw new StartupFailure(NtStatus.NOT_SUPPORTED, config.name() + " (" + config.model()
                                + ") cannot keep its context memory in host memory");
                    }
                    return new Command.InitHca(new Command.Profile(
                            pow2AtMost(Math.min(config.maxQp(), limits.maxQp())),
                            pow2AtMost(Math.min(config.maxCq(), limits.maxCq())),
                            pow2AtMost(Math.min(config.maxMpt(), limits.maxMpt())),
                            pow2AtMost(Math.min(config.maxMtt(), limits.maxMtt())),
                            pow2AtMost(Math.min(config.maxMcg(), limits.maxMcg())), true));
                });
    }

    private static int pow2AtMost(int n) {
        return Integer.highestOneBit(Math.max(1, n));
    }

    /** The firmware area goes with CLOSE_HCA and the chip reset that follows; no command of its own. */
    @Override
    public List<Command> shutdown() {
        return List.of();
    }

    @Override
    public void acquire(IcmTable table, int first, int count, CommandRunner runner, Continuation done) {
        tables.get(table).acquire(first, count, runner, done);
    }

    @Override
    public void release(IcmTable table, int first, int count, CommandRunner runner, Continuation done) {
        tables.get(table).release(first, count, runner, done);
    }

    @Override
    public void reset() {
        tables.values().forEach(IcmChunks::reset);
    }

    @Override
    public Map<IcmTable, IcmUsage> usage() {
        Map<IcmTable, IcmUsage> usage = new EnumMap<>(IcmTable.class);
        tables.forEach((table, chunks) -> usage.put(table, chunks.usage()));
        return usage;
    }

    /** The reference count of one chunk of one table (0 if unmapped). */
    int references(IcmTable table, int chunk) {
        return tables.get(table).references(chunk);
    }
}
