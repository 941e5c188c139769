package org.irpverbs.verbs;

/** Send work request opcodes. */
public enum WrOpcode {
    SEND, SEND_WITH_IMM, RDMA_WRITE, RDMA_WRITE_WITH_IMM, RDMA_READ, ATOMIC_CMP_AND_SWP, ATOMIC_FETCH_AND_ADD
}
