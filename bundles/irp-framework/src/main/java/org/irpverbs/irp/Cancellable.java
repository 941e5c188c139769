package org.irpverbs.irp;

/** A scheduled timer or DPC that can be cancelled; {@link #cancel()} returns false if it already ran. */
@FunctionalInterface
public interface Cancellable {
    boolean cancel();
}
