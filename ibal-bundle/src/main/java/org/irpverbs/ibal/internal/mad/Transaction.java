package org.irpverbs.ibal.internal.mad;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.irpverbs.ibal.mad.MadSend;
import org.irpverbs.ibal.mad.MadTransaction;
import org.irpverbs.ibal.mad.ReceivedMad;
import org.irpverbs.irp.Cancellable;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.NtStatus;
import org.osgi.util.promise.Deferred;
import org.osgi.util.promise.Promise;

/**
 * One send of an agent (or of the service itself, for its own error replies): the MAD as it goes
 * out (TID final), the attempts left, the armed response timer. Settles once: the first of
 * response, last timeout, cancel, or send failure wins a compare-and-set; the others find it
 * settled and do nothing.
 *
 * <p>Thread-safe: settled by whichever DPC gets there first; the timer field is written by the
 * thread that posts an attempt and read by the one that settles.
 */
final class Transaction implements MadTransaction {
    final PortMadService service;
    /** The agent that sent it, or null for the service's own replies. */
    final Agent agent;
    final MadSend send;
    final org.irpverbs.ibal.mad.Mad mad;
    final boolean expectsResponse;
    /** The key of {@link Agent#inFlight}. */
    final long sequence;
    private final Deferred<ReceivedMad> deferred;
    private final AtomicBoolean settled = new AtomicBoolean();
    /** Attempts after the current one (the send's retries at first). */
    volatile int retriesLeft;
    /** Bumped by every attempt, so that an older attempt's timer expiring late changes nothing. */
    volatile int attempt;
    private volatile Cancellable timer;
    /** The address handle of the destination, once made. */
    volatile org.irpverbs.verbs.AddressHandle addressHandle;

    Transaction(PortMadService service, Agent agent, MadSend send, org.irpverbs.ibal.mad.Mad mad, boolean expectsResponse,
            long sequence) {
        this.service = service;
        this.agent = agent;
        this.send = send;
        this.mad = mad;
        this.expectsResponse = expectsResponse;
        this.sequence = sequence;
        this.retriesLeft = send.retries();
        this.deferred = service.promises.deferred();
    }

    @Override
    public long transactionId() {
        return mad.header().transactionId();
    }

    @Override
    public Promise<ReceivedMad> result() {
        return deferred.getPromise();
    }

    @Override
    public boolean cancel() {
        return fail(NtStatus.CANCELLED, "the MAD transaction was cancelled", service.counters.cancelled);
    }

    boolean isSettled() {
        return settled.get();
    }

    /** Arms the response timer of the current attempt. */
    void armTimer(MadTimers timers) {
        timer = timers.schedule(send.responseTimeoutNanos(), new AttemptTimer(this, attempt));
        if (settled.get()) {
            cancelTimer(); // settled while the timer was being armed
        }
    }

    /** The response timer of one attempt (a class, not a lambda: it is made at DISPATCH for every request). */
    private static final class AttemptTimer implements Runnable {
        private final Transaction transaction;
        private final int attempt;

        AttemptTimer(Transaction transaction, int attempt) {
            this.transaction = transaction;
            this.attempt = attempt;
        }

        @Override
        public void run() {
            transaction.service.responseTimedOut(transaction, attempt);
        }
    }

    private void cancelTimer() {
        Cancellable t = timer;
        if (t != null) {
            t.cancel();
        }
    }

    /**
     * Settles with the response (null: a one-way MAD went out). {@code counter}, if given, is
     * counted before the promise resolves, so that whoever sees the result sees the count.
     */
    boolean resolve(ReceivedMad response, AtomicLong counter) {
        if (!settle(counter)) {
            return false;
        }
        deferred.resolve(response);
        return true;
    }

    boolean fail(int status, String why) {
        return fail(status, why, null);
    }

    /** Settles with a failure; {@code counter}, if given, is counted first (see {@link #resolve}). */
    boolean fail(int status, String why, AtomicLong counter) {
        if (!settle(counter)) {
            return false;
        }
        deferred.fail(new IoStatusException(status, why));
        return true;
    }

    /** Wins the right to settle (once), counts, stops the timer, and leaves the service's tables. */
    private boolean settle(AtomicLong counter) {
        if (!settled.compareAndSet(false, true)) {
            return false;
        }
        if (counter != null) {
            counter.incrementAndGet();
        }
        cancelTimer();
        service.forget(this);
        return true;
    }
}
