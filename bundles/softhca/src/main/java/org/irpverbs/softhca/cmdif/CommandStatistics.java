package org.irpverbs.softhca.cmdif;

import java.util.Map;
import org.irpverbs.softhca.Opcode;

/**
 * A snapshot of a command interface.
 *
 * @param mode             queued or legacy
 * @param maxOutstanding   the firmware's bound
 * @param outstanding      commands holding a token: posted and not completed, or refused by the
 *                         firmware and waiting to be posted again
 * @param queued           command requests waiting for a token
 * @param maxQueued        the deepest the queue has been
 * @param completedByOpcode commands completed by the firmware, by opcode
 * @param timedOut         commands the firmware did not answer in time, and queued requests that
 *                         timed out waiting behind a firmware that refused posts and stayed silent
 * @param staleCompletions completions ignored because their token had been reused
 * @param cancelledQueued  command requests cancelled while queued
 */
public record CommandStatistics(CommandMode mode, int maxOutstanding, int outstanding, int queued, int maxQueued,
        Map<Opcode, Long> completedByOpcode, long timedOut, long staleCompletions, long cancelledQueued) {
}
