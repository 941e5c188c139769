package org.irpverbs.hca.tavor;

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
import org.irpverbs.softhca.IcmTable;

/**
 * Tavor context memory: every table is carved from the card's DDR at INIT_HCA, sized by
 * {@link TavorProfile} to fit it. Bring-up is SYS_EN (the DDR and firmware come up), QUERY_FW,
 * QUERY_DEV_LIM, INIT_HCA; shutdown ends with SYS_DIS. Objects cost no command of their own: their
 * contexts already exist, and a full table (the core's allocators are sized by the profile) fails
 * creation with INSUFFICIENT_RESOURCES.
 *
 * <p>Thread-safe (stateless per call).
 */
public final class TavorContextMemory implements ContextMemory {
    @Override
    public String mode() {
        return "on-card (Tavor)";
    }

    @Override
    public boolean memFree() {
        return false;
    }

    @Override
    public List<StartupStep> startup() {
        return List.of(
                state -> new Command.SysEn(),
                state -> new Command.QueryFw(),
                state -> new Command.QueryDevLim(),
                state -> {
                    Command.DeviceLimits limits = state.limits();
                    if (!limits.tavorCapable()) {
                        throw new StartupFailure(NtStatus.NOT_SUPPORTED, state.config().name() + " ("
                                + state.config().model() + ") cannot run with on-card context memory");
                    }
                    return new Command.InitHca(TavorProfile.fit(state.config(), limits));
                });
    }

    @Override
    public List<Command> shutdown() {
        return List.of(new Command.SysDis());
    }

    /** The context is part of a table carved at INIT_HCA: ready at once. */
    @Override
    public void acquire(IcmTable table, int first, int count, CommandRunner runner, Continuation done) {
        done.resume(NtStatus.SUCCESS);
    }

    @Override
    public void release(IcmTable table, int first, int count, CommandRunner runner, Continuation done) {
        done.resume(NtStatus.SUCCESS);
    }

    @Override
    public void reset() {
    }

    @Override
    public Map<IcmTable, IcmUsage> usage() {
        return Map.of();
    }
}
