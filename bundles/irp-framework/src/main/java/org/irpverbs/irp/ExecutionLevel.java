package org.irpverbs.irp;

/**
 * The per-thread execution level, the framework's IRQL. At {@link #PASSIVE} a thread may block; at
 * {@link #DISPATCH} it must not (no sleep, wait, park, contended monitor, blocking queue or future
 * get). Completion routines, cancel routines, DPCs and timer callbacks run at DISPATCH; a dispatch
 * routine runs at its caller's level and must work at either.
 *
 * <p>Levels nest: {@link #raise()} returns the previous level, which the caller hands back to
 * {@link #lower(ExecutionLevel)} in a {@code finally}. {@link BlockingDetector} watches every span
 * a thread spends at DISPATCH.
 *
 * <p>Thread-safe: each thread sees and changes only its own level.
 */
public enum ExecutionLevel {
    PASSIVE,
    DISPATCH;

    /** The calling thread's level. */
    public static ExecutionLevel current() {
        return LevelState.get().level;
    }

    /** True if the calling thread is at DISPATCH. */
    public static boolean atDispatch() {
        return LevelState.get().level == DISPATCH;
    }

    /** Raises the calling thread to DISPATCH and returns the level to restore. */
    public static ExecutionLevel raise() {
        return LevelState.get().raise(null);
    }

    /**
     * Raises the calling thread to DISPATCH, naming the span for violation reports; the name should
     * be a constant string so that raising allocates nothing.
     */
    public static ExecutionLevel raise(String span) {
        return LevelState.get().raise(span);
    }

    /** Restores the level returned by {@link #raise()}. */
    public static void lower(ExecutionLevel previous) {
        LevelState.get().lower(previous);
    }

    /** Runs {@code work} at DISPATCH on the calling thread, restoring the level afterwards. */
    public static void runAtDispatch(String span, Runnable work) {
        LevelState state = LevelState.get();
        ExecutionLevel previous = state.raise(span);
        try {
            work.run();
        } finally {
            state.lower(previous);
        }
    }
}
