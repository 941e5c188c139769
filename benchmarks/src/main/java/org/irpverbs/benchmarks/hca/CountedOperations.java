package org.irpverbs.benchmarks.hca;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * What every HCA benchmark state shares: the operations it completed, counted per measurement
 * iteration, so that {@link ContextSwitches} can report context switches and CPU time per
 * operation for each thread.
 */
public abstract class CountedOperations {
    long ops;
    private long opsAtStart;
    final ContextSwitches switches = new ContextSwitches();

    @Setup(Level.Iteration)
    public void iterationStart(IterationParams p) {
        if (p.getType() == IterationType.MEASUREMENT) {
            opsAtStart = ops;
            switches.begin();
        }
    }

    @TearDown(Level.Iteration)
    public void iterationEnd() {
        switches.end(ops - opsAtStart);
    }
}
