package org.irpverbs.softhca.fabric;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.irpverbs.irp.SpinLock;

/**
 * Frames of one size, reused: a free stack that any thread may push onto lock-free (a receiver
 * releasing a frame) and pop from under a {@link SpinLock} held for a few instructions (which also
 * rules out the ABA problem of a lock-free pop). When empty, {@link #acquire()} allocates a new
 * frame, so the pool grows to the number of frames in flight at the busiest moment; beyond
 * {@code maxPooled} released frames are left to the garbage collector.
 *
 * <p>Thread-safe; never blocks, so usable at DISPATCH.
 */
public final class FramePool {
    private final int frameBytes;
    private final boolean direct;
    private final int maxPooled;
    private final AtomicReference<Frame> top = new AtomicReference<>();
    private final SpinLock popLock = new SpinLock();
    private final AtomicInteger pooled = new AtomicInteger();
    private final AtomicInteger allocated = new AtomicInteger();

    /**
     * @param frameBytes capacity of each frame (the largest packet it must hold)
     * @param direct     direct buffers (for a transport doing channel I/O) or heap buffers
     * @param maxPooled  released frames kept for reuse
     */
    public FramePool(int frameBytes, boolean direct, int maxPooled) {
        if (frameBytes < 1 || maxPooled < 0) {
            throw new IllegalArgumentException("frameBytes must be positive and maxPooled not negative");
        }
        this.frameBytes = frameBytes;
        this.direct = direct;
        this.maxPooled = maxPooled;
    }

    /** A heap pool keeping up to 4096 frames. */
    public FramePool(int frameBytes) {
        this(frameBytes, false, 4096);
    }

    public int frameBytes() {
        return frameBytes;
    }

    /** A frame owned by the caller, length 0. */
    public Frame acquire() {
        Frame f = null;
        popLock.lock();
        try {
            Frame t;
            while ((t = top.get()) != null) {
                if (top.compareAndSet(t, t.next)) {
                    f = t;
                    break;
                }
            }
        } finally {
            popLock.unlock();
        }
        if (f == null) {
            f = new Frame(this, frameBytes, direct);
            allocated.incrementAndGet();
        } else {
            pooled.decrementAndGet();
            f.next = null;
        }
        f.markInUse();
        return f;
    }

    void recycle(Frame f) {
        if (pooled.get() >= maxPooled) {
            return;
        }
        pooled.incrementAndGet();
        Frame t;
        do {
            t = top.get();
            f.next = t;
        } while (!top.compareAndSet(t, f));
    }

    /** Frames ever allocated by this pool. */
    public int allocated() {
        return allocated.get();
    }

    /** Frames waiting in the pool now. */
    public int pooled() {
        return pooled.get();
    }
}
