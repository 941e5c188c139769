package org.irpverbs.benchmarks.hca;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The same-run baseline of the RC SEND benchmarks: the HCA pair's thread topology in plain Java,
 * with none of the HCA's work. Two relay threads stand for the two engine threads, and single
 * producer/single consumer rings of 64-byte slots stand for the doorbell queue, the fabric link
 * and the receive CQ:
 * <pre>
 *   poster ──ring──► relay A ──ring──► relay B ──ring──► poller     (a message A → B)
 *   poster ──ring──► relay B ──ring──► relay A ──ring──► poller     (a message B → A)
 * </pre>
 * A message is copied at each hop (into the posting ring, by relay A into B's inbox, by relay B
 * into the delivery ring), as the engines copy a SEND's payload from the sender's buffer into a
 * frame and from the frame into the receive buffer. The relays idle exactly as
 * {@code EngineThread} does: they park when they find no work and a producer unparks one only if it
 * is asleep; so the baseline pays the same wake-ups and the difference to the HCA is the HCA's own
 * work: WQE and CQE handling, packet headers and ICRC, PSN checks, ACKs, protection checks.
 * There are no ACKs and no send completions: the poster's credit comes back when the message is
 * delivered (the HCA's comes back with the ACK).
 *
 * <p>Thread-safe where stated: each ring has one producer and one consumer thread.
 */
final class RelayPair implements AutoCloseable {
    static final int SLOT = 64;

    /** A bounded SPSC ring of 64-byte messages (volatile tail, release-stored head). */
    static final class Ring {
        private final byte[] slots;
        private final int mask;
        // padded apart: the producer writes tail, the consumer head
        private final AtomicLong head = new AtomicLong();
        @SuppressWarnings("unused")
        private long p1, p2, p3, p4, p5, p6, p7;
        private final AtomicLong tail = new AtomicLong();

        Ring(int capacity) {
            if (Integer.bitCount(capacity) != 1) {
                throw new IllegalArgumentException("capacity must be a power of two");
            }
            slots = new byte[capacity * SLOT];
            mask = capacity - 1;
        }

        /** Producer: copies 64 bytes of {@code src} at {@code offset} in; false if full. */
        boolean offer(byte[] src, int offset) {
            long t = tail.get();
            if (t - head.get() > mask) {
                return false;
            }
            System.arraycopy(src, offset, slots, (int) (t & mask) * SLOT, SLOT);
            // a volatile store, not lazySet: the producer reads the consumer's "sleeping" flag next,
            // and a release store may pass that load (a lost wake-up). The engine's queues CAS.
            tail.set(t + 1);
            return true;
        }

        /** Consumer: moves the oldest message into {@code to}; false if empty or {@code to} is full. */
        boolean transferTo(Ring to) {
            long h = head.get();
            if (h == tail.get() || !to.offer(slots, (int) (h & mask) * SLOT)) {
                return false;
            }
            head.lazySet(h + 1);
            return true;
        }

        /** Consumer: copies the oldest message into {@code dst}; false if empty. */
        boolean poll(byte[] dst) {
            long h = head.get();
            if (h == tail.get()) {
                return false;
            }
            System.arraycopy(slots, (int) (h & mask) * SLOT, dst, 0, SLOT);
            head.lazySet(h + 1);
            return true;
        }

        boolean isEmpty() {
            return head.get() == tail.get();
        }
    }

    /** An "engine": forwards what its poster posts to the peer, and delivers what the peer forwards. */
    static final class Relay extends Thread {
        final Ring posted;
        final Ring inbox;
        final Ring delivered;
        Relay peer;
        private volatile boolean sleeping;
        private volatile boolean running = true;

        Relay(String name, int capacity) {
            super(name);
            setDaemon(true);
            posted = new Ring(capacity);
            inbox = new Ring(capacity);
            delivered = new Ring(capacity);
        }

        /** A producer published into one of this relay's rings. */
        void wake() {
            if (sleeping) {
                LockSupport.unpark(this);
            }
        }

        @Override
        public void run() {
            Relay to = peer;
            while (running) {
                boolean worked = false;
                for (int n = 0; n < 64 && posted.transferTo(to.inbox); n++) {
                    worked = true;
                    to.wake();
                }
                for (int n = 0; n < 256 && inbox.transferTo(delivered); n++) {
                    worked = true;
                }
                if (!worked) {
                    sleeping = true;
                    if (posted.isEmpty() && inbox.isEmpty() && running) {
                        LockSupport.park(this);
                    }
                    sleeping = false;
                }
            }
        }

        void shutdown() {
            running = false;
            LockSupport.unpark(this);
        }
    }

    final Relay a;
    final Relay b;

    RelayPair(int capacity) {
        a = new Relay("relay-a", capacity);
        b = new Relay("relay-b", capacity);
        a.peer = b;
        b.peer = a;
        a.start();
        b.start();
    }

    /** Posts a message at {@code from} (for its peer); false if the ring is full. */
    static boolean post(Relay from, byte[] message) {
        if (!from.posted.offer(message, 0)) {
            return false;
        }
        from.wake();
        return true;
    }

    @Override
    public void close() {
        a.shutdown();
        b.shutdown();
    }
}
