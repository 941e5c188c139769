package org.irpverbs.softhca;

import java.util.Map;

/**
 * Counters of one soft HCA, for shells and benchmarks.
 *
 * @param commandsByOpcode commands completed, by opcode
 * @param icmChunksMapped  mem-free: ICM chunks mapped now, by table
 * @param doorbells        doorbells rung (MMIO writes or doorbell-record updates)
 * @param packetsSent      packets the HCA put on its ports
 * @param packetsReceived  packets it took from its ports
 */
public record HardwareStatistics(Map<Opcode, Long> commandsByOpcode, Map<IcmTable, Integer> icmChunksMapped,
        long doorbells, long packetsSent, long packetsReceived) {
}
