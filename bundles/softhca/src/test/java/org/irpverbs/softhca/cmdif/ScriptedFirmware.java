package org.irpverbs.softhca.cmdif;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.irpverbs.irp.ExecutionLevel;
import org.irpverbs.irp.IoManager;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.CommandCompletionHandler;
import org.irpverbs.softhca.CommandStatus;
import org.irpverbs.softhca.Firmware;

/**
 * An HCR whose commands complete when the test says so (or automatically after a delay), and
 * that counts the posts it refuses (beyond its bound, or all of them once {@link #failed}). A
 * command interface that retries a refused post without the firmware freeing anything spins; past
 * {@link #SPIN_LIMIT} refusals the firmware throws, so such a bug fails its test instead of
 * hanging the build.
 */
final class ScriptedFirmware implements Firmware {
    record Posted(Command command, int token) {
    }

    static final int SPIN_LIMIT = 10_000;

    private final IoManager io;
    private final int max;
    private final AtomicInteger inProgress = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();
    final AtomicInteger highWater = new AtomicInteger();
    final ConcurrentLinkedDeque<Posted> posted = new ConcurrentLinkedDeque<>();
    final ConcurrentLinkedQueue<Command> order = new ConcurrentLinkedQueue<>();
    private volatile CommandCompletionHandler handler;
    /** When positive, every command completes by itself after this delay. */
    volatile long autoCompleteNanos = -1;
    volatile CommandStatus autoStatus = CommandStatus.OK;
    /** Answers every command inside {@code post}, as an instant firmware on the posting thread would. */
    volatile boolean answerInsidePost;
    /** The threads commands were posted from, in order. */
    final ConcurrentLinkedQueue<Thread> postingThreads = new ConcurrentLinkedQueue<>();
    /** A catastrophic error: every post is refused, nothing in progress ever completes. */
    volatile boolean failed;

    ScriptedFirmware(IoManager io, int max) {
        this.io = io;
        this.max = max;
    }

    @Override
    public boolean post(Command command, int token) {
        if (failed) {
            return refuse();
        }
        int now = inProgress.incrementAndGet();
        if (now > max) {
            inProgress.decrementAndGet();
            return refuse();
        }
        highWater.accumulateAndGet(now, Math::max);
        order.add(command);
        postingThreads.add(Thread.currentThread());
        Posted p = new Posted(command, token);
        if (answerInsidePost) {
            finish(p, CommandStatus.OK);
        } else if (autoCompleteNanos >= 0) {
            io.schedule(autoCompleteNanos, () -> finish(p, autoStatus));
        } else {
            posted.add(p);
        }
        return true;
    }

    private boolean refuse() {
        if (refused.incrementAndGet() > SPIN_LIMIT) {
            throw new AssertionError("the command interface re-posted a refused command " + SPIN_LIMIT
                    + " times without the firmware freeing anything: it spins");
        }
        return false;
    }

    /** Completes the oldest posted command (as a DPC, like the event queue). */
    void completeNext(CommandStatus status) {
        Posted p = posted.poll();
        if (p == null) {
            throw new AssertionError("no command in progress");
        }
        io.queueDpc(() -> finish(p, status));
    }

    /** The newest posted command, still in progress. */
    Posted newest() {
        Posted p = posted.peekLast();
        if (p == null) {
            throw new AssertionError("no command in progress");
        }
        return p;
    }

    /**
     * Completes {@code p} now, on the calling thread raised to DISPATCH (as the event queue's DPC
     * would), so that the test knows the completion has run when this returns.
     */
    void completeNow(Posted p, CommandStatus status) {
        if (!posted.remove(p)) {
            throw new AssertionError("not in progress: " + p);
        }
        ExecutionLevel.runAtDispatch("scripted command completion", () -> finish(p, status));
    }

    /** Delivers a completion for an arbitrary token (stale-token tests). */
    void completeToken(int token, CommandStatus status) {
        io.queueDpc(() -> handler.commandCompleted(token, status, null));
    }

    /** Delivers a completion for an arbitrary token now, on the calling thread raised to DISPATCH. */
    void completeTokenNow(int token, CommandStatus status) {
        ExecutionLevel.runAtDispatch("scripted stale completion", () -> handler.commandCompleted(token, status, null));
    }

    /** Forgets a command as if the firmware lost it (it will never complete). */
    Posted lose() {
        Posted p = posted.poll();
        inProgress.decrementAndGet();
        return p;
    }

    private void finish(Posted p, CommandStatus status) {
        inProgress.decrementAndGet();
        handler.commandCompleted(p.token(), status, "output of " + p.command().opcode());
    }

    @Override
    public void setCompletionHandler(CommandCompletionHandler handler) {
        this.handler = handler;
    }

    @Override
    public int maxOutstanding() {
        return max;
    }

    @Override
    public int outstanding() {
        return inProgress.get();
    }
}
