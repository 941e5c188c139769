package org.irpverbs.irp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.InvocationTargetException;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.locks.LockSupport;
import org.osgi.util.function.Consumer;
import org.osgi.util.function.Function;
import org.osgi.util.function.Predicate;
import org.osgi.util.promise.Failure;
import org.osgi.util.promise.Promise;
import org.osgi.util.promise.Success;
import org.osgi.util.promise.TimeoutException;

/**
 * The I/O manager's {@link Promise} (the OSGi Promise 1.3 interface), which never blocks the
 * thread that resolves it, registers a callback on it or times it out. The OSGi {@code Deferred}'s
 * promise resolves inside a {@code synchronized} block; resolutions come from completion routines
 * and DPCs at DISPATCH here, and two of them at once on one promise (a completion racing its
 * {@code timeout}) met a contended monitor there (docs/architecture.md §6).
 *
 * <p>One state reference decides everything: while unresolved it holds the callbacks registered so
 * far, as a lock-free (Treiber) stack of {@link Callback} nodes; resolving swaps the stack for the
 * {@link Outcome} with a compare-and-set. The CAS that installs an outcome is the one resolution
 * (a later resolve or fail returns false and changes nothing); it retries only when a registration
 * pushed a node in between. Whoever wins runs the callbacks it took off the stack, in registration
 * order; a callback that finds the outcome already there runs at once. So each callback runs
 * exactly once, after resolution.
 *
 * <p>Where callbacks run:
 * <ul>
 * <li>Callbacks of the caller ({@code onResolve}, {@code onSuccess}, {@code onFailure}, and the
 * functions given to {@code then}, {@code map}, {@code flatMap}, {@code filter}, {@code recover},
 * {@code recoverWith}, {@code thenAccept}, and {@code toCompletionStage}'s completion) run as DPCs on
 * the completion pool when the promise resolves. One added to a promise already resolved runs at
 * once on the adding thread, raised to DISPATCH (as the OSGi factory's default runs it at once too,
 * which saves a DPC hop for a request completed synchronously).</li>
 * <li>The framework's own links (a chained promise taking the result of a promise returned by a
 * callback, {@code timeout}, {@code delay}, {@code fallbackTo}, a waiting {@code getValue}) run on
 * the resolving thread: they only resolve another promise, cancel or arm a timer, or unpark a
 * thread, all lock-free.</li>
 * <li>Nested inline runs (a chain of promises resolving each other on one thread) are bounded by
 * {@link #MAX_INLINE_DEPTH}; deeper ones are queued as DPCs, so the Java stack stays bounded.</li>
 * </ul>
 * A caller's callback that throws is a {@link DriverVerifier} report, as any DPC that throws (the
 * OSGi implementation hands it to the thread's uncaught-exception handler); an exception thrown by a
 * chaining function fails the chained promise instead, as the Promise specification says.
 *
 * <p>{@code timeout} and {@code delay} are timers of the manager ({@link Timers}): armed and
 * cancelled with a CAS, their routines run as DPCs. {@code getValue} and {@code getFailure} on an
 * unresolved promise call {@link BlockingDetector#checkMayBlock} before they wait, so a wait at
 * DISPATCH is reported (they still wait, as the specification says; a violation is never thrown).
 *
 * <p>Thread-safe.
 */
final class LockFreePromise<T> implements Promise<T> {
    /** Nested inline callback runs on one thread beyond which callbacks are queued as DPCs instead. */
    static final int MAX_INLINE_DEPTH = 32;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(LockFreePromise.class, "state", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** How a promise was resolved; immutable, so it can be handed to any thread. */
    static final class Outcome {
        final Object value;
        /** Null for a success. */
        final Throwable failure;

        Outcome(Object value, Throwable failure) {
            this.value = value;
            this.failure = failure;
        }
    }

    /**
     * A registered callback and its own link in the stack ({@link #next} is written only before the
     * push that publishes it, so a node needs no second allocation). Run once, with the outcome.
     */
    abstract static class Callback implements Runnable {
        Callback next;
        /** Set before the callback is queued as a DPC; the queue publishes it. */
        private Outcome outcome;

        /** True for the framework's own links, which run on the resolving thread. */
        abstract boolean inline();

        abstract void run(Outcome outcome) throws Exception;

        /** As a DPC. */
        @Override
        public final void run() {
            runReporting(this, outcome);
        }
    }

    private final IoPromises runtime;
    /** Null or the top {@link Callback} while unresolved; the {@link Outcome} once resolved. */
    private volatile Object state;

    LockFreePromise(IoPromises runtime) {
        this.runtime = Objects.requireNonNull(runtime);
    }

    // ---------------------------------------------------------------- resolving

    /** Resolves with {@code value}; false (nothing changed) if this promise was resolved already. */
    boolean resolve(T value) {
        return complete(new Outcome(value, null));
    }

    /**
     * Fails with {@code failure}; false (nothing changed) if this promise was resolved already.
     *
     * @throws NullPointerException if {@code failure} is null
     */
    boolean fail(Throwable failure) {
        return complete(new Outcome(null, Objects.requireNonNull(failure, "a failed promise needs a failure")));
    }

    /** The one resolution: swaps the callback stack for the outcome, then runs what it took. */
    boolean complete(Outcome outcome) {
        Object seen;
        do {
            seen = state;
            if (seen instanceof Outcome) {
                return false;
            }
        } while (!STATE.compareAndSet(this, seen, outcome));
        runAll((Callback) seen, outcome);
        return true;
    }

    /** Takes the result of {@code other} once it is resolved (on the thread that resolves it). */
    void resolveWith(Promise<? extends T> other) {
        if (other instanceof LockFreePromise<?> ours) {
            ours.register(new Link() {
                @Override
                void run(Outcome o) {
                    complete(o);
                }
            });
        } else {
            // another implementation: its onResolve runs where that implementation runs callbacks
            other.onResolve(() -> complete(outcomeOf(other)));
        }
    }

    /** The outcome of a resolved promise of any implementation. */
    static Outcome outcomeOf(Promise<?> resolved) {
        if (resolved instanceof LockFreePromise<?> ours && ours.state instanceof Outcome o) {
            return o;
        }
        if (!resolved.isDone()) {
            return new Outcome(null, new IllegalStateException("a promise ran its callbacks before it was resolved: " + resolved));
        }
        boolean interrupted = Thread.interrupted(); // a resolved promise does not wait, but it may check
        try {
            Throwable failure = resolved.getFailure();
            return failure != null ? new Outcome(null, failure) : new Outcome(resolved.getValue(), null);
        } catch (InvocationTargetException e) {
            return new Outcome(null, e.getCause());
        } catch (InterruptedException | RuntimeException e) {
            return new Outcome(null, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- registering and running

    /** Pushes {@code callback}, or runs it now if the outcome is there already. */
    private void register(Callback callback) {
        while (true) {
            Object seen = state;
            if (seen instanceof Outcome o) {
                runNow(callback, o);
                return;
            }
            callback.next = (Callback) seen;
            if (STATE.compareAndSet(this, seen, callback)) {
                return;
            }
        }
    }

    /** Runs what a resolution took off the stack: oldest first; links here, the caller's callbacks as DPCs. */
    private void runAll(Callback top, Outcome outcome) {
        Callback oldest = null;
        while (top != null) { // reverse: the stack holds the newest first
            Callback next = top.next;
            top.next = oldest;
            oldest = top;
            top = next;
        }
        for (Callback c = oldest; c != null; ) {
            Callback next = c.next;
            c.next = null;
            if (c.inline()) {
                runHere(c, outcome, false);
            } else {
                queue(c, outcome);
            }
            c = next;
        }
    }

    /** A callback registered after resolution: on this thread, at DISPATCH, unless nested too deep. */
    private void runNow(Callback callback, Outcome outcome) {
        runHere(callback, outcome, !callback.inline());
    }

    private void runHere(Callback callback, Outcome outcome, boolean raise) {
        LevelState level = LevelState.get();
        if (level.promiseCallbackDepth >= MAX_INLINE_DEPTH) {
            queue(callback, outcome);
            return;
        }
        level.promiseCallbackDepth++;
        ExecutionLevel previous = raise ? level.raise("promise callback") : null;
        try {
            runReporting(callback, outcome);
        } finally {
            if (raise) {
                level.lower(previous);
            }
            level.promiseCallbackDepth--;
        }
    }

    private void queue(Callback callback, Outcome outcome) {
        callback.outcome = outcome;
        runtime.dpcs.queue(callback);
    }

    static void runReporting(Callback callback, Outcome outcome) {
        try {
            callback.run(outcome);
        } catch (Exception | Error e) {
            DriverVerifier.report("promise callback threw " + e);
        }
    }

    /** The framework's own link: runs on the resolving thread. */
    private abstract static class Link extends Callback {
        @Override
        final boolean inline() {
            return true;
        }

        @Override
        abstract void run(Outcome outcome);
    }

    /** A callback of the caller: runs as a DPC. */
    private abstract static class Step extends Callback {
        @Override
        final boolean inline() {
            return false;
        }
    }

    /** What a chaining method does with this promise's outcome to resolve the promise it returned. */
    @FunctionalInterface
    private interface ChainFunction<R> {
        void compute(Outcome outcome, LockFreePromise<R> chained) throws Exception;
    }

    /**
     * A step that resolves {@code chained} with its function; an exception thrown by the caller's
     * function fails {@code chained}, as the Promise specification says.
     */
    private static final class ChainStep<R> extends Step {
        private final LockFreePromise<R> chained;
        private final ChainFunction<R> function;

        ChainStep(LockFreePromise<R> chained, ChainFunction<R> function) {
            this.chained = chained;
            this.function = function;
        }

        @Override
        void run(Outcome outcome) {
            try {
                function.compute(outcome, chained);
            } catch (Throwable e) {
                chained.fail(e);
            }
        }
    }

    private <R> LockFreePromise<R> chain(ChainFunction<R> function) {
        LockFreePromise<R> chained = new LockFreePromise<>(runtime);
        register(new ChainStep<>(chained, function));
        return chained;
    }

    /** Takes the result of the promise a caller's function returned; null stands for a null value. */
    private void resolveWithReturned(Promise<? extends T> returned) {
        if (returned == null) {
            resolve(null);
        } else {
            resolveWith(returned);
        }
    }

    @SuppressWarnings("unchecked")
    private static <V> V value(Outcome outcome) {
        return (V) outcome.value;
    }

    // ---------------------------------------------------------------- Promise: state

    @Override
    public boolean isDone() {
        return state instanceof Outcome;
    }

    @Override
    public T getValue() throws InvocationTargetException, InterruptedException {
        Outcome o = await("Promise.getValue of an unresolved promise");
        if (o.failure != null) {
            throw new InvocationTargetException(o.failure);
        }
        return value(o);
    }

    @Override
    public Throwable getFailure() throws InterruptedException {
        return await("Promise.getFailure of an unresolved promise").failure;
    }

    /** A thread waiting in {@link #await}; cleared when it gave up, so a late resolution does not unpark it. */
    private static final class Waiter extends Link {
        volatile Thread thread = Thread.currentThread();

        @Override
        void run(Outcome outcome) {
            Thread t = thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    private Outcome await(String operation) throws InterruptedException {
        if (state instanceof Outcome o) {
            return o; // resolved: no wait, so no interrupt check either
        }
        BlockingDetector.checkMayBlock(operation);
        Waiter waiter = new Waiter();
        register(waiter);
        try {
            Object seen;
            while (!((seen = state) instanceof Outcome)) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted while waiting for " + this);
                }
                LockSupport.park(this);
            }
            return (Outcome) seen;
        } finally {
            waiter.thread = null;
        }
    }

    // ---------------------------------------------------------------- Promise: callbacks

    @Override
    public Promise<T> onResolve(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        register(new Step() {
            @Override
            void run(Outcome outcome) {
                callback.run();
            }
        });
        return this;
    }

    @Override
    public Promise<T> onSuccess(Consumer<? super T> success) {
        Objects.requireNonNull(success, "success");
        register(new Step() {
            @Override
            void run(Outcome outcome) throws Exception {
                if (outcome.failure == null) {
                    success.accept(value(outcome));
                }
            }
        });
        return this;
    }

    @Override
    public Promise<T> onFailure(Consumer<? super Throwable> failure) {
        return onFailure(failure, Throwable.class);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <F> Promise<T> onFailure(Consumer<? super F> failure, Class<? extends F> failureType) {
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(failureType, "failureType");
        register(new Step() {
            @Override
            void run(Outcome outcome) throws Exception {
                if (failureType.isInstance(outcome.failure)) {
                    failure.accept((F) outcome.failure);
                }
            }
        });
        return this;
    }

    // ---------------------------------------------------------------- Promise: chaining

    @Override
    public <R> Promise<R> then(Success<? super T, ? extends R> success, Failure failure) {
        @SuppressWarnings("unchecked")
        Success<T, ? extends R> onSuccess = (Success<T, ? extends R>) success;
        return this.<R>chain((outcome, chained) -> {
            if (outcome.failure != null) {
                if (failure != null) {
                    failure.fail(this);
                }
                chained.fail(outcome.failure);
            } else if (onSuccess == null) {
                chained.resolve(null);
            } else {
                chained.resolveWithReturned(onSuccess.call(this));
            }
        });
    }

    @Override
    public <R> Promise<R> then(Success<? super T, ? extends R> success) {
        return then(success, null);
    }

    @Override
    public Promise<T> thenAccept(Consumer<? super T> consumer) {
        Objects.requireNonNull(consumer, "consumer");
        return this.<T>chain((outcome, chained) -> {
            if (outcome.failure == null) {
                consumer.accept(value(outcome));
            }
            chained.complete(outcome);
        });
    }

    @Override
    public Promise<T> filter(Predicate<? super T> predicate) {
        Objects.requireNonNull(predicate, "predicate");
        return this.<T>chain((outcome, chained) -> {
            if (outcome.failure == null && !predicate.test(value(outcome))) {
                chained.fail(new NoSuchElementException("the filter's predicate rejected the value"));
            } else {
                chained.complete(outcome);
            }
        });
    }

    @Override
    public <R> Promise<R> map(Function<? super T, ? extends R> mapper) {
        Objects.requireNonNull(mapper, "mapper");
        return this.<R>chain((outcome, chained) -> {
            if (outcome.failure != null) {
                chained.fail(outcome.failure);
            } else {
                chained.resolve(mapper.apply(value(outcome)));
            }
        });
    }

    @Override
    public <R> Promise<R> flatMap(Function<? super T, Promise<? extends R>> mapper) {
        Objects.requireNonNull(mapper, "mapper");
        return this.<R>chain((outcome, chained) -> {
            if (outcome.failure != null) {
                chained.fail(outcome.failure);
            } else {
                chained.resolveWithReturned(mapper.apply(value(outcome)));
            }
        });
    }

    @Override
    public Promise<T> recover(Function<Promise<?>, ? extends T> recovery) {
        return recover(recovery, Throwable.class);
    }

    @Override
    public Promise<T> recover(Function<Promise<?>, ? extends T> recovery, Class<?> failureType) {
        Objects.requireNonNull(recovery, "recovery");
        Objects.requireNonNull(failureType, "failureType");
        return this.<T>chain((outcome, chained) -> {
            T recovered = failureType.isInstance(outcome.failure) ? recovery.apply(this) : null;
            if (recovered != null) {
                chained.resolve(recovered);
            } else {
                chained.complete(outcome); // a null recovery keeps the failure
            }
        });
    }

    @Override
    public Promise<T> recoverWith(Function<Promise<?>, Promise<? extends T>> recovery) {
        return recoverWith(recovery, Throwable.class);
    }

    @Override
    public Promise<T> recoverWith(Function<Promise<?>, Promise<? extends T>> recovery, Class<?> failureType) {
        Objects.requireNonNull(recovery, "recovery");
        Objects.requireNonNull(failureType, "failureType");
        return this.<T>chain((outcome, chained) -> {
            Promise<? extends T> recovered = failureType.isInstance(outcome.failure) ? recovery.apply(this) : null;
            if (recovered != null) {
                chained.resolveWith(recovered);
            } else {
                chained.complete(outcome);
            }
        });
    }

    @Override
    public Promise<T> fallbackTo(Promise<? extends T> fallback) {
        return fallbackTo(fallback, Throwable.class);
    }

    @Override
    public Promise<T> fallbackTo(Promise<? extends T> fallback, Class<?> failureType) {
        Objects.requireNonNull(fallback, "fallback");
        Objects.requireNonNull(failureType, "failureType");
        LockFreePromise<T> chained = new LockFreePromise<>(runtime);
        register(new Link() {
            @Override
            void run(Outcome outcome) {
                if (!failureType.isInstance(outcome.failure)) {
                    chained.complete(outcome);
                    return;
                }
                // the fallback's failure is not reported: this promise's own failure is
                LockFreePromise<T> second = new LockFreePromise<>(runtime);
                second.register(new Link() {
                    @Override
                    void run(Outcome fallen) {
                        chained.complete(fallen.failure == null ? fallen : outcome);
                    }
                });
                second.resolveWith(fallback);
            }
        });
        return chained;
    }

    @Override
    public Promise<T> timeout(long milliseconds) {
        if (isDone()) {
            return this; // resolved before any timeout can be reached
        }
        LockFreePromise<T> chained = new LockFreePromise<>(runtime);
        // the timer's routine is a DPC; whichever of it and this promise's resolution installs the
        // chained outcome first wins, the other's complete() returns false
        Cancellable timer = runtime.timers.schedule(IoPromises.delayNanos(milliseconds),
                () -> chained.fail(new TimeoutException()));
        register(new Link() {
            @Override
            void run(Outcome outcome) {
                if (chained.complete(outcome)) {
                    timer.cancel();
                }
            }
        });
        return chained;
    }

    @Override
    public Promise<T> delay(long milliseconds) {
        LockFreePromise<T> chained = new LockFreePromise<>(runtime);
        long nanos = IoPromises.delayNanos(milliseconds);
        register(new Link() {
            @Override
            void run(Outcome outcome) {
                if (nanos == 0) {
                    chained.complete(outcome);
                } else {
                    runtime.timers.schedule(nanos, () -> chained.complete(outcome));
                }
            }
        });
        return chained;
    }

    @Override
    public CompletionStage<T> toCompletionStage() {
        CompletableFuture<T> future = new CompletableFuture<>();
        // a Step: the future runs its dependents (the caller's code) on the thread that completes it
        register(new Step() {
            @Override
            void run(Outcome outcome) {
                if (outcome.failure == null) {
                    future.complete(value(outcome));
                } else {
                    future.completeExceptionally(outcome.failure);
                }
            }
        });
        return future;
    }

    @Override
    public String toString() {
        Object s = state;
        if (s instanceof Outcome o) {
            return "Promise[" + (o.failure == null ? "resolved: " + o.value : "failed: " + o.failure) + "]";
        }
        return "Promise[unresolved]";
    }
}
