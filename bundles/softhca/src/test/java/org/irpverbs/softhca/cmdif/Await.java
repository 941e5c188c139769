package org.irpverbs.softhca.cmdif;

import static org.junit.Assert.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waiting for what another thread does (a DPC, a blocked legacy caller): the bound is liveness,
 * generous for a loaded 2-vCPU machine, and the wait parks rather than spins so that it does not
 * take a core from the threads it waits for.
 */
final class Await {
    private Await() {
    }

    static void awaitTrue(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        assertTrue(what, condition.getAsBoolean());
    }
}
