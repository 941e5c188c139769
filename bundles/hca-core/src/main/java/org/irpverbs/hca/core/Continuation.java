package org.irpverbs.hca.core;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * What happens next once an asynchronous step (a command, or preparing context memory) is over.
 * Called exactly once, at DISPATCH or at the caller's level, never while a lock is held; must not
 * block.
 */
@ConsumerType
@FunctionalInterface
public interface Continuation {
    /** @param status an {@code NtStatus}: SUCCESS, or why the step failed */
    void resume(int status);
}
