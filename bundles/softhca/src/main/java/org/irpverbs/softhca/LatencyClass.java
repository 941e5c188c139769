package org.irpverbs.softhca;

/** PRM command latency classes: A about 1 ms, B about 10 ms, C about 100 ms on real hardware. */
public enum LatencyClass {
    A, B, C
}
