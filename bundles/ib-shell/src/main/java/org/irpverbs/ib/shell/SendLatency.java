package org.irpverbs.ib.shell;

import java.util.function.IntPredicate;
import org.irpverbs.irp.IoManager;

/**
 * {@code ib:send_lat}: ping-pong of {@code -s}-byte SENDs, one message in flight, {@code -n} times
 * (or for {@code -D} seconds); the latency of an
 * iteration is half its round trip, as ib_send_lat reports it. Every message is checked on arrival.
 * Each buffer holds the message to send at offset 0 and the one to receive at offset {@code -s}.
 */
final class SendLatency extends Perftest {
    /** What a post waits for while its queue is full; call sites add the rest as constants. */
    private static final String ROOM = "room in the queue for ";
    static final String DESCRIPTION = "SEND latency between two HCA ports, as ib_send_lat: ping-pong over RC QPs, one"
            + " message in flight, every message verified; the latency is half the round trip.";

    SendLatency(IoManager io, PerftestArgs args) {
        super(io, args);
    }

    @Override
    String title() {
        return "Send Latency Test";
    }

    @Override
    int localBufferBytes() {
        return 2 * args.size();
    }

    @Override
    int remoteBufferBytes() {
        return 2 * args.size();
    }

    @Override
    int sendDepth() {
        return 1;
    }

    @Override
    boolean latency() {
        return true;
    }

    @Override
    String measure(Endpoint local, Endpoint remote, Iterations run) {
        int size = args.size();
        fill(local.buffer, 0, size, 4);
        fill(remote.buffer, 0, size, 5);
        Spinner spinner = new Spinner(command());
        LatencyMeter meter = new LatencyMeter(run, args.iterations());
        // made once, taking the work request ID: the timed window between t0 and t1 creates no lambdas
        IntPredicate ping = wrId -> local.postSend(wrId, 0, size);
        IntPredicate pong = wrId -> remote.postSend(wrId, 0, size);
        IntPredicate localReceive = wrId -> local.postReceive(wrId, size, size);
        IntPredicate remoteReceive = wrId -> remote.postReceive(wrId, size, size);
        post(localReceive, 0, spinner, ROOM + "the first receive");
        post(remoteReceive, 0, spinner, ROOM + "the first receive");
        run.start();
        for (int i = 0; run.mayStart(i); i++) {
            long t0 = System.nanoTime();
            post(ping, i, spinner, ROOM + "the ping ", i);
            await(remote, true, spinner, "the ping of iteration ", i);
            verify("ping ", i, "", local.buffer, 0, remote.buffer, size, size);
            post(remoteReceive, i + 1, spinner, ROOM + "a receive");
            post(pong, i, spinner, ROOM + "the pong ", i);
            await(local, true, spinner, "the pong of iteration ", i);
            long t1 = System.nanoTime();
            verify("pong ", i, "", remote.buffer, 0, local.buffer, size, size);
            post(localReceive, i + 1, spinner, ROOM + "a receive");
            await(local, false, spinner, "the ping's send completion ", i);
            await(remote, false, spinner, "the pong's send completion ", i);
            meter.record((t1 - t0) / 2);
            run.completed(1);
        }
        return meter.columns(size, System.nanoTime() - run.startNanos()) + String.format(
                " data verified: every ping at %s and pong at %s carried the %d bytes sent%n", remote.hca.name(),
                local.hca.name(), size);
    }

    /**
     * Posts work request {@code wrId}, waiting out a full queue (its slot frees a moment after the
     * completion was polled).
     */
    private static void post(IntPredicate post, int wrId, Spinner spinner, String waitingFor) {
        while (!post.test(wrId)) {
            spinner.idle(waitingFor);
        }
    }

    /** As {@link #post(IntPredicate, int, Spinner, String)}, waiting for {@code prefix + i}. */
    private static void post(IntPredicate post, int wrId, Spinner spinner, String prefix, int i) {
        while (!post.test(wrId)) {
            spinner.idle(prefix, i);
        }
    }

    /** Waits for a completion on the endpoint's receive or send CQ, for {@code prefix + i}. */
    private static void await(Endpoint endpoint, boolean receive, Spinner spinner, String prefix, int i) {
        while (endpoint.poll(receive ? endpoint.recvCq : endpoint.sendCq) == 0) {
            spinner.idle(prefix, i);
        }
        spinner.progress();
    }
}
