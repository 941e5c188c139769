package org.irpverbs.softhca.cmdif;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.irpverbs.irp.IoManager;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.CommandCompletionHandler;
import org.irpverbs.softhca.CommandStatus;
import org.irpverbs.softhca.Firmware;

/**
 * An HCR whose commands complete when the test says so (or automatically after a delay), and
 * that records any post beyond its bound: the command interface must never cause one.
 */
final class ScriptedFirmware implements Firmware {
    record Posted(Command command, int token) {
    }

    private final IoManager io;
    private final int max;
    private final AtomicInteger inProgress = new AtomicInteger();
    final AtomicInteger overBound = new AtomicInteger();
    final AtomicInteger highWater = new AtomicInteger();
    final ConcurrentLinkedQueue<Posted> posted = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Command> order = new ConcurrentLinkedQueue<>();
    private volatile CommandCompletionHandler handler;
    /** When positive, every command completes by itself after this delay. */
    volatile long autoCompleteNanos = -1;
    volatile CommandStatus autoStatus = CommandStatus.OK;

    ScriptedFirmware(IoManager io, int max) {
        this.io = io;
        this.max = max;
    }

    @Override
    public boolean post(Command command, int token) {
        int now = inProgress.incrementAndGet();
        if (now > max) {
            inProgress.decrementAndGet();
            overBound.incrementAndGet();
            return false;
        }
        highWater.accumulateAndGet(now, Math::max);
        order.add(command);
        Posted p = new Posted(command, token);
        if (autoCompleteNanos >= 0) {
            io.schedule(autoCompleteNanos, () -> finish(p, autoStatus));
        } else {
            posted.add(p);
        }
        return true;
    }

    /** Completes the oldest posted command (as a DPC, like the event queue). */
    void completeNext(CommandStatus status) {
        Posted p = posted.poll();
        if (p == null) {
            throw new AssertionError("no command in progress");
        }
        io.queueDpc(() -> finish(p, status));
    }

    /** Delivers a completion for an arbitrary token (stale-token tests). */
    void completeToken(int token, CommandStatus status) {
        io.queueDpc(() -> handler.commandCompleted(token, status, null));
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
