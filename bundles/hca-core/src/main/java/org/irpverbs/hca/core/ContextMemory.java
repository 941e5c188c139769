package org.irpverbs.hca.core;

import java.util.List;
import java.util.Map;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.IcmTable;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Where an HCA's context tables live, and what that costs in firmware commands: the one thing the
 * Tavor and mem-free driver models do differently.
 * <ul>
 * <li><b>Tavor</b>: the tables are carved from on-card memory at INIT_HCA with a profile that fits
 * it; creating an object costs no extra command, and a full table fails the verb with
 * INSUFFICIENT_RESOURCES (the core's index allocators are sized by the profile).</li>
 * <li><b>Mem-free</b>: contexts live in host memory (ICM) in 256 KiB chunks; the first live context
 * in a chunk costs a MAP_ICM before the object's own command, and the last one destroyed an
 * UNMAP_ICM after it, with reference counts per chunk.</li>
 * </ul>
 * One instance per HCA function device, created at AddDevice. The core calls {@link #acquire} and
 * {@link #release} from many threads at once, at DISPATCH: implementations are thread-safe and
 * never block (waiting for a chunk that another verb is mapping is a continuation, not a wait).
 */
@ConsumerType
public interface ContextMemory {
    /** Where contexts live, for shells: e.g. {@code "on-card (Tavor)"}. */
    String mode();

    /** True if the INIT_HCA profile puts contexts in host memory (mem-free). */
    boolean memFree();

    /**
     * The bring-up commands in order; the last one is INIT_HCA with this mode's profile. The core
     * uses QUERY_FW's output for the command interface's outstanding bound, QUERY_DEV_LIM's for the
     * device's limits, and INIT_HCA's profile to size its tables. Called once per start.
     */
    List<StartupStep> startup();

    /** Commands after CLOSE_HCA when the device stops (Tavor: SYS_DIS; mem-free: none). */
    List<Command> shutdown();

    /**
     * Makes contexts {@code [first, first + count)} of {@code table} usable; the core calls it after
     * allocating the indices and before the object's own command. {@code done} runs exactly once:
     * with SUCCESS when the memory is ready, or with the failing status after everything this call
     * did has been undone.
     *
     * @param runner sends commands with the verb's request
     */
    void acquire(IcmTable table, int first, int count, CommandRunner runner, Continuation done);

    /**
     * The contexts {@code [first, first + count)} of {@code table} are no longer used (after the
     * object's own destroy command). {@code done} runs exactly once; a failed unmap is counted, not
     * retried: the context is gone either way.
     */
    void release(IcmTable table, int first, int count, CommandRunner runner, Continuation done);

    /** The device stopped or was reset: forget every mapping (the hardware already has). */
    void reset();

    /** Usage per table, for statistics. */
    Map<IcmTable, IcmUsage> usage();
}
