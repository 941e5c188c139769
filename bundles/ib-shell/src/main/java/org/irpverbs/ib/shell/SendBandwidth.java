package org.irpverbs.ib.shell;

import java.util.ArrayDeque;
import org.irpverbs.irp.IoManager;
import org.irpverbs.verbs.WorkCompletion;

/**
 * {@code ib:send_bw}: SENDs of {@code -s} bytes, {@code -t} in flight, {@code -n} in all (or for
 * {@code -D} seconds); the remote side keeps a
 * receive posted in each of its slots and posts it again as soon as it completed, checking every
 * message it received. Bandwidth is measured at the receiver. A send that finds no receive posted
 * waits on the RC transport's RNR retries (the QPs retry for ever), as with ib_send_bw.
 */
final class SendBandwidth extends Perftest {
    /** The receiver's slots take at most this much memory. */
    static final int MAX_RECEIVE_BYTES = 256 << 20;
    static final String DESCRIPTION = "SEND bandwidth between two HCA ports, as ib_send_bw: RC QPs, -t sends in"
            + " flight, receives kept posted at the remote end, every message verified, bandwidth at the receiver.";

    SendBandwidth(IoManager io, PerftestArgs args) {
        super(io, args);
    }

    @Override
    String title() {
        return "Send BW Test";
    }

    private int slots() {
        return Math.max(1, Math.min(args.depth(), MAX_RECEIVE_BYTES / args.size()));
    }

    @Override
    int receiveDepth() {
        return slots();
    }

    @Override
    int remoteBufferBytes() {
        return slots() * args.size();
    }

    @Override
    String measure(Endpoint local, Endpoint remote, Iterations run) {
        int size = args.size();
        int slots = slots();
        fill(local.buffer, 0, size, 3);
        BandwidthMeter meter = new BandwidthMeter(run, args.iterations());
        run.start();
        long receivesPosted = 0;
        // slots whose receive completed and that wait to be posted again (the queue may be full a moment)
        ArrayDeque<Integer> toRepost = new ArrayDeque<>();
        for (int slot = 0; slot < slots && run.mayStart(receivesPosted); slot++) {
            toRepost.add(slot);
            receivesPosted++;
        }
        Spinner spinner = new Spinner(command());
        String toRemote = " to " + remote.hca.name(); // once: the loop below names a message only if it fails
        long sent = 0;
        long sendsCompleted = 0;
        long received = 0;
        while (received < sent || sendsCompleted < sent || run.mayStart(sent)) {
            while (!toRepost.isEmpty() && remote.postReceive(toRepost.peek(), toRepost.peek() * size, size)) {
                toRepost.poll();
            }
            while (sent - sendsCompleted < args.depth() && run.mayStart(sent)
                    && local.postSend(sent, 0, size)) {
                sent++;
            }
            int s = local.poll(local.sendCq);
            sendsCompleted += s;
            int r = remote.poll(remote.recvCq);
            long now = System.nanoTime();
            for (int i = 0; i < r; i++) {
                WorkCompletion wc = remote.completion(i);
                int slot = (int) wc.wrId;
                if (wc.byteLength != size) {
                    throw new IllegalStateException("receive " + received + " at " + remote.hca.name() + " got "
                            + wc.byteLength + " bytes, expected " + size);
                }
                verify("SEND ", received, toRemote, local.buffer, 0, remote.buffer, slot * size, size);
                remote.buffer.put(slot * size, (byte) ~remote.buffer.get(slot * size)); // the next message must overwrite it
                received++;
                if (run.mayStart(receivesPosted)) {
                    toRepost.add(slot);
                    receivesPosted++;
                }
            }
            if (r > 0) {
                meter.record(now, r);
                run.completed(r);
            }
            if (s + r == 0) {
                spinner.idle("SEND", received, sent);
            } else {
                spinner.progress();
            }
        }
        return meter.columns(size) + String.format(
                " data verified: each of the %d messages received at %s equals the %d bytes sent from %s%n", received,
                remote.hca.name(), size, local.hca.name());
    }
}
