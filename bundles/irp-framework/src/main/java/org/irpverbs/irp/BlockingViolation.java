package org.irpverbs.irp;

import java.util.Arrays;

/**
 * A report that a thread blocked, or was about to block, while at {@link ExecutionLevel#DISPATCH}.
 *
 * @param thread the thread's name
 * @param where  the DISPATCH span (e.g. "completion routine") or the operation that checked
 * @param what   what was seen
 * @param stack  where it happened, when known (sampler and explicit checks know; the span-exit
 *               count check only knows that it happened)
 */
public record BlockingViolation(String thread, String where, String what, StackTraceElement[] stack) {
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("blocking at DISPATCH on ").append(thread).append(" in ").append(where)
                .append(": ").append(what);
        if (stack != null) {
            Arrays.stream(stack).limit(12).forEach(e -> b.append("\n\tat ").append(e));
        }
        return b.toString();
    }
}
