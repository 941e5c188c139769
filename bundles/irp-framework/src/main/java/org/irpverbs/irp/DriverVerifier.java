package org.irpverbs.irp;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where the framework reports driver bugs it detects, in the spirit of Windows Driver Verifier: a
 * request completed twice, used after completion, completed with a cancel routine still set, a
 * dispatch routine that returned a final status without completing, an exception thrown by a
 * driver routine, a routine that returned at another execution level than it was called at, a
 * request with fewer stack locations left than the device it is passed to needs. Every report is also thrown to
 * the caller that made the mistake where that is safe (second completion, use after completion),
 * so it is never silently ignored. Tests assert {@link #bugCount()} is zero unless a bug is the
 * point of the test.
 *
 * <p>Thread-safe.
 */
public final class DriverVerifier {
    private static final int KEPT = 256;
    private static final ConcurrentLinkedQueue<String> RECENT = new ConcurrentLinkedQueue<>();
    private static final AtomicLong COUNT = new AtomicLong();

    private DriverVerifier() {}

    /** Records a bug and returns the message (callers usually throw it). */
    public static String report(String message) {
        COUNT.incrementAndGet();
        RECENT.add(message);
        while (RECENT.size() > KEPT) {
            RECENT.poll();
        }
        return message;
    }

    public static long bugCount() {
        return COUNT.get();
    }

    public static List<String> recentBugs() {
        return new ArrayList<>(RECENT);
    }

    public static void reset() {
        RECENT.clear();
        COUNT.set(0);
    }
}
