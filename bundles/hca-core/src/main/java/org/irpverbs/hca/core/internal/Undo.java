package org.irpverbs.hca.core.internal;

import java.util.ArrayDeque;
import java.util.function.Consumer;
import org.irpverbs.hca.core.Continuation;
import org.irpverbs.irp.NtStatus;

/**
 * What a create verb has done so far, to be undone in reverse order if a later step fails:
 * numbers to free, references to drop, context memory to release (which may itself cost
 * commands, hence each step continues asynchronously). Owned by one verb; not thread-safe.
 */
final class Undo {
    private final ArrayDeque<Consumer<Continuation>> steps = new ArrayDeque<>();

    /** An undo step that finishes at once. */
    Undo push(Runnable step) {
        steps.addLast(next -> {
            step.run();
            next.resume(NtStatus.SUCCESS);
        });
        return this;
    }

    /** An undo step that continues when its commands have completed. */
    Undo pushAsync(Consumer<Continuation> step) {
        steps.addLast(step);
        return this;
    }

    /** Runs every step, last pushed first, then {@code then}. */
    void run(Runnable then) {
        Consumer<Continuation> step = steps.pollLast();
        if (step == null) {
            then.run();
            return;
        }
        step.accept(status -> run(then));
    }
}
