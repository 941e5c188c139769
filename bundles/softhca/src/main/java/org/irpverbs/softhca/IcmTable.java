package org.irpverbs.softhca;

/**
 * Mem-free context tables kept in host memory (ICM), with the bytes one context takes
 * (mthca_memfree / mthca_profile sizes). An ICM chunk is 256 KiB, so it holds
 * {@code CHUNK_BYTES / entryBytes} contexts.
 */
public enum IcmTable {
    QPC(256), EQPC(32), CQC(64), MPT(64), MTT(8), MCG(64);

    public static final int CHUNK_BYTES = 256 * 1024;

    private final int entryBytes;

    IcmTable(int entryBytes) {
        this.entryBytes = entryBytes;
    }

    public int entryBytes() {
        return entryBytes;
    }

    /** Contexts per 256 KiB chunk. */
    public int entriesPerChunk() {
        return CHUNK_BYTES / entryBytes;
    }

    /** The chunk holding the context with this index. */
    public int chunkOf(int index) {
        return index / entriesPerChunk();
    }
}
