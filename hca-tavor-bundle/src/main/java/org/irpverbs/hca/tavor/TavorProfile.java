package org.irpverbs.hca.tavor;

import org.irpverbs.hca.core.StartupFailure;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.HcaConfig;
import org.irpverbs.softhca.IcmTable;

/**
 * Chooses the Tavor INIT_HCA profile: the tables the configuration asks for (capped by
 * QUERY_DEV_LIM), then, while they do not fit in on-card memory, the table that takes the most
 * bytes is halved (as mthca_profile shrinks a profile to the DDR it found), never below the
 * smallest table the hardware takes. Sizes stay powers of two.
 *
 * <p>Thread-safe (static, pure).
 */
final class TavorProfile {
    /** The smallest table of each kind INIT_HCA accepts (HcaConfig's lower bounds). */
    static final int MIN_QPS = 64;
    static final int MIN_CQS = 64;
    static final int MIN_MPTS = 64;
    static final int MIN_MTTS = 64;
    static final int MIN_MCGS = 8;

    private TavorProfile() {}

    /**
     * @throws StartupFailure INSUFFICIENT_RESOURCES if even the smallest tables do not fit
     */
    static Command.Profile fit(HcaConfig config, Command.DeviceLimits limits) throws StartupFailure {
        long budget = Math.min(config.onCardMemoryBytes(), limits.onCardMemoryBytes());
        int qps = pow2AtMost(Math.min(config.maxQp(), limits.maxQp()));
        int cqs = pow2AtMost(Math.min(config.maxCq(), limits.maxCq()));
        int mpts = pow2AtMost(Math.min(config.maxMpt(), limits.maxMpt()));
        int mtts = pow2AtMost(Math.min(config.maxMtt(), limits.maxMtt()));
        int mcgs = pow2AtMost(Math.min(config.maxMcg(), limits.maxMcg()));
        Command.Profile profile = new Command.Profile(qps, cqs, mpts, mtts, mcgs, false);
        while (profile.contextBytes() > budget) {
            long qpBytes = qps > MIN_QPS ? (long) qps * (IcmTable.QPC.entryBytes() + IcmTable.EQPC.entryBytes()) : -1;
            long cqBytes = cqs > MIN_CQS ? (long) cqs * IcmTable.CQC.entryBytes() : -1;
            long mptBytes = mpts > MIN_MPTS ? (long) mpts * IcmTable.MPT.entryBytes() : -1;
            long mttBytes = mtts > MIN_MTTS ? (long) mtts * IcmTable.MTT.entryBytes() : -1;
            long mcgBytes = mcgs > MIN_MCGS ? (long) mcgs * IcmTable.MCG.entryBytes() : -1;
            long largest = Math.max(Math.max(qpBytes, cqBytes), Math.max(Math.max(mptBytes, mttBytes), mcgBytes));
            if (largest < 0) {
                throw new StartupFailure(NtStatus.INSUFFICIENT_RESOURCES, "the smallest Tavor profile needs "
                        + profile.contextBytes() + " bytes of on-card memory; " + config.name() + " has " + budget);
            }
            if (largest == qpBytes) {
                qps /= 2;
            } else if (largest == mttBytes) {
                mtts /= 2;
            } else if (largest == mptBytes) {
                mpts /= 2;
            } else if (largest == cqBytes) {
                cqs /= 2;
            } else {
                mcgs /= 2;
            }
            profile = new Command.Profile(qps, cqs, mpts, mtts, mcgs, false);
        }
        return profile;
    }

    private static int pow2AtMost(int n) {
        return Integer.highestOneBit(Math.max(1, n));
    }
}
