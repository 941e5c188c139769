package org.irpverbs.hca.core;

/**
 * Context memory use of one table, for shells and tests.
 *
 * @param chunksMapped ICM chunks mapped now (always 0 with on-card context memory)
 * @param references   live contexts in mapped chunks (the sum of the per-chunk reference counts)
 * @param maps         MAP_ICM commands that succeeded since start
 * @param unmaps       UNMAP_ICM commands sent since start
 */
public record IcmUsage(int chunksMapped, int references, long maps, long unmaps) {
    public static final IcmUsage NONE = new IcmUsage(0, 0, 0, 0);
}
