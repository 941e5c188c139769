package org.irpverbs.ib.shell;

import org.irpverbs.irp.IoManager;
import org.irpverbs.verbs.WorkCompletion;

/**
 * {@code ib:send_bw}: SENDs of {@code -s} bytes, {@code -t} in flight; the remote side keeps a
 * receive posted in each of its slots and posts it again as soon as it completed, checking every
 * message it received. Bandwidth is measured at the receiver. A send that finds no receive posted
 * waits on the RC transport's RNR retries (the QPs retry for ever), as with ib_send_bw.
 */
final class SendBandwidth extends Perftest {
    /** The receiver's slots take at most this much memory. */
    static final int MAX_RECEIVE_BYTES = 256 << 20;

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
    String measure(Endpoint local, Endpoint remote) {
        int n = args.iterations();
        int size = args.size();
        int slots = slots();
        fill(local.buffer, 0, size, 3);
        int receivesPosted = 0;
        // slots whose receive completed and that wait to be posted again (the queue may be full a moment)
        java.util.ArrayDeque<Integer> toRepost = new java.util.ArrayDeque<>();
        for (int slot = 0; slot < slots && receivesPosted < n; slot++) {
            toRepost.add(slot);
            receivesPosted++;
        }
        long[] receivedAt = new long[n];
        Spinner spinner = new Spinner("ib:send_bw");
        String toRemote = " to " + remote.hca.name(); // once: the loop below names a message only if it fails
        int sent = 0;
        int sendsCompleted = 0;
        int received = 0;
        long start = System.nanoTime();
        while (received < n || sendsCompleted < n) {
            while (!toRepost.isEmpty() && remote.postReceive(toRepost.peek(), toRepost.peek() * size, size)) {
                toRepost.poll();
            }
            while (sent < n && sent - sendsCompleted < args.depth() && local.postSend(sent, 0, size)) {
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
                receivedAt[received++] = now;
                if (receivesPosted < n) {
                    toRepost.add(slot);
                    receivesPosted++;
                }
            }
            if (s + r == 0) {
                spinner.idle("SEND", received, n);
            } else {
                spinner.progress();
            }
        }
        return bandwidth(receivedAt, start, n, size) + String.format(
                " data verified: each of the %d messages received at %s equals the %d bytes sent from %s%n", n,
                remote.hca.name(), size, local.hca.name());
    }
}
