package org.irpverbs.softhca.fabric;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A lock-free multi-producer, single-consumer queue of frames, intrusive (linked through the
 * frames themselves, so queueing allocates nothing): D. Vyukov's MPSC queue. Any thread may
 * {@link #offer}; only the one consumer thread may {@link #poll}. A receiving HCA's engine uses
 * one as its packet inbox.
 *
 * <p>{@link #offer} and {@link #size} are thread-safe and never block; {@link #poll} belongs to the
 * single consumer.
 */
public final class FrameQueue {
    private final Frame stub = new Frame(null, 0, false);
    /** Where producers append (the most recently offered frame). */
    private final AtomicReference<Frame> last = new AtomicReference<>(stub);
    /** The consumer's cursor (the frame before the next one to return, or the next one). */
    private Frame first = stub;
    private final AtomicInteger size = new AtomicInteger();

    /** Appends a frame the caller owns; ownership passes to the consumer. */
    public void offer(Frame f) {
        size.incrementAndGet();
        append(f);
    }

    /**
     * Appends {@code frames[from..to)} in order with one atomic exchange (a burst from one sender);
     * ownership of all passes to the consumer.
     */
    public void offerAll(Frame[] frames, int from, int to) {
        if (to <= from) {
            return;
        }
        for (int i = from; i < to - 1; i++) {
            frames[i].next = frames[i + 1];
        }
        Frame tail = frames[to - 1];
        tail.next = null;
        size.addAndGet(to - from);
        Frame previous = last.getAndSet(tail);
        previous.next = frames[from];
    }

    private void append(Frame f) {
        f.next = null;
        Frame previous = last.getAndSet(f);
        previous.next = f;
    }

    /**
     * The oldest frame, or null if none is visible yet (a producer may be between its two steps:
     * then {@link #size} is already counted and a later poll returns the frame).
     */
    public Frame poll() {
        Frame head = first;
        Frame next = head.next;
        if (head == stub) {
            if (next == null) {
                return null;
            }
            first = next;
            head = next;
            next = next.next;
        }
        if (next != null) {
            first = next;
            size.decrementAndGet();
            head.next = null;
            return head;
        }
        if (head != last.get()) {
            return null;
        }
        append(stub);
        next = head.next;
        if (next != null) {
            first = next;
            size.decrementAndGet();
            head.next = null;
            return head;
        }
        return null;
    }

    /** Frames offered and not yet polled (may count one a producer is still linking). */
    public int size() {
        return size.get();
    }

    public boolean isEmpty() {
        return size.get() == 0;
    }
}
