package org.irpverbs.sample.echo.driver;

import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.irpverbs.irp.NtStatus;

/**
 * Device extension of an echo FDO: open handles, requests forwarded and rejected, and the final
 * status of every forwarded request as its completion routine saw it.
 *
 * <p>Thread-safe and lock-free: updated from dispatch routines at any level and from completion
 * routines at DISPATCH.
 */
public final class EchoFunctionExtension {
    private final AtomicLong openHandles = new AtomicLong();
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final StatusCounters completions = new StatusCounters();

    EchoFunctionExtension() {}

    void handleOpened() {
        openHandles.incrementAndGet();
    }

    void handleClosed() {
        openHandles.decrementAndGet();
    }

    void forwarded() {
        forwarded.incrementAndGet();
    }

    void rejected() {
        rejected.incrementAndGet();
    }

    void completed(int status) {
        completions.increment(status);
    }

    /** Handles open on this device now. */
    public long openHandles() {
        return openHandles.get();
    }

    /** Requests passed down to the PDO. */
    public long forwardedRequests() {
        return forwarded.get();
    }

    /** Requests this layer failed by validation. */
    public long rejectedRequests() {
        return rejected.get();
    }

    /** Forwarded requests that completed with {@code status}. */
    public long completions(int status) {
        return completions.get(status);
    }

    /** One line for shells ({@code irp:stats}). */
    @Override
    public String toString() {
        String byStatus = completions.snapshot().entrySet().stream()
                .map(e -> NtStatus.name(e.getKey()) + " " + e.getValue()).collect(Collectors.joining(", "));
        long other = completions.otherStatuses();
        return "handles " + openHandles.get() + ", forwarded " + forwarded.get() + ", rejected " + rejected.get()
                + (byStatus.isEmpty() ? "" : ", completed: " + byStatus) + (other == 0 ? "" : ", other statuses " + other);
    }
}
