package org.irpverbs.softhca.engine;

/**
 * One receive queue slot: the scatter list the driver posted. Written by the posting thread under
 * the QP's receive lock before it publishes the producer index (the doorbell record); read by the
 * engine thread.
 */
final class RecvWqe {
    long wrId;
    int sgeCount;
    final long[] addresses;
    final int[] lengths;
    final int[] lkeys;
    long totalLength;

    RecvWqe(int maxSge) {
        addresses = new long[Math.max(1, maxSge)];
        lengths = new int[Math.max(1, maxSge)];
        lkeys = new int[Math.max(1, maxSge)];
    }
}
