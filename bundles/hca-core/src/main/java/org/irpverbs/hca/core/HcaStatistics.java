package org.irpverbs.hca.core;

import java.util.Map;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.softhca.cmdif.CommandStatistics;

/**
 * A snapshot of one HCA function device, for shells ({@code ib:cmdif}) and tests.
 *
 * @param name                the hardware's name
 * @param state               where the device is in its life
 * @param memoryMode          where context memory lives
 * @param commands            the command interface's counters (mode, outstanding/max, queued, per opcode, timeouts, stale)
 * @param resources           per table (PD, MR, MTT, CQ, QP, AH, MCG): in use and capacity, in that order
 * @param icm                 context memory per table: chunks mapped, references, MAP_ICM/UNMAP_ICM counts
 * @param pendingNotifications REQ_NOTIFY_CQ requests waiting for a completion event
 * @param pendingAsyncRequests GET_ASYNC_EVENT requests waiting for an event
 * @param queuedAsyncEvents   events waiting for a GET_ASYNC_EVENT request
 * @param droppedAsyncEvents  events dropped because the ring was full (the oldest goes)
 * @param completionEvents    completion events the hardware raised
 * @param lastError           the last start-up or shutdown problem, or null
 */
public record HcaStatistics(String name, HcaDevice.State state, String memoryMode, CommandStatistics commands,
        Map<String, ResourceUsage> resources, Map<IcmTable, IcmUsage> icm, int pendingNotifications,
        int pendingAsyncRequests, int queuedAsyncEvents, long droppedAsyncEvents, long completionEvents,
        String lastError) {
}
