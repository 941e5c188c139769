package org.irpverbs.softhca.fabric;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A buffer holding one packet, lent from a {@link FramePool} and passed by ownership: from the
 * sending engine to its port, from the fabric to the receiving port's {@link FrameReceiver}, and
 * back to its pool by {@link #release()} from whoever holds it last. The packet occupies bytes
 * {@code [0, length())} of {@link #buffer()} (big-endian), LRH first.
 *
 * <p>Not thread-safe while owned: one owner at a time uses it; handing it over (through a
 * {@link FrameQueue} or a call) publishes its contents. {@link #release()} is safe from any thread
 * and detects a second release.
 */
public final class Frame {
    private static final int FREE = 0;
    private static final int IN_USE = 1;
    /**
     * The {@link #segmentFlags()} bit that sets SE on a run's last packet; the bits below it are
     * the packets' AckReq flags.
     */
    public static final long RUN_SE_ON_LAST = 1L << 63;
    /**
     * Most packets one segment run stands for: one AckReq bit each below {@link #RUN_SE_ON_LAST}
     * (a 64 KiB message is 16 packets at MTU 4096, 32 at 2048, 64 at 1024).
     */
    public static final int MAX_RUN_SEGMENTS = 63;

    private final ByteBuffer buffer;
    private final FramePool pool;
    private final AtomicInteger state = new AtomicInteger(FREE);
    /** Link for the pool's free stack and for {@link FrameQueue}; a frame is in at most one. */
    volatile Frame next;
    private int length;
    private int tag;
    private boolean icrcOffloaded;
    private int segments = 1;
    private int segmentPayload;
    private long segmentFlags;
    private int lastSegmentOpcode;
    private int wireBytes;
    private ByteBuffer[] refBuffers = new ByteBuffer[2];
    private int[] refOffsets = new int[2];
    private int[] refLengths = new int[2];
    private int refCount;
    private int refBytes;

    Frame(FramePool pool, int capacity, boolean direct) {
        this.pool = pool;
        this.buffer = (direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity))
                .order(ByteOrder.BIG_ENDIAN);
    }

    /** The whole buffer; the packet is at {@code [0, length())}. Use absolute gets and puts. */
    public ByteBuffer buffer() {
        return buffer;
    }

    public int capacity() {
        return buffer.capacity();
    }

    /** Bytes of the packet (LRH to ICRC). */
    public int length() {
        return length;
    }

    /**
     * @throws IllegalArgumentException if outside {@code 0..capacity()}
     */
    public Frame setLength(int length) {
        if (length < 0 || length > buffer.capacity()) {
            throw new IllegalArgumentException("frame length must be 0.." + buffer.capacity() + ", was " + length);
        }
        this.length = length;
        return this;
    }

    /** A value for the current owner, e.g. the port number a receiver took the frame from. */
    public int tag() {
        return tag;
    }

    public Frame setTag(int tag) {
        this.tag = tag;
        return this;
    }

    /**
     * Whether the packet's ICRC field was left unset because the sender's port computes it where the
     * packet leaves the process (see {@link FabricPort#icrcOffload()}); a receiver does not check
     * the ICRC of such a frame, the in-memory hand-off having nothing that could corrupt it.
     */
    public boolean icrcOffloaded() {
        return icrcOffloaded;
    }

    public Frame setIcrcOffloaded(boolean offloaded) {
        this.icrcOffloaded = offloaded;
        return this;
    }

    /**
     * Packets this frame stands for: 1 for a plain packet; more for a <em>segment run</em>, the
     * in-process form of segmentation offload (as Linux passes a 64 KiB TCP "super-packet" over
     * loopback unsegmented). A run holds consecutive packets of one RC message, all but the last
     * carrying {@link #segmentPayload()} bytes: the buffer has the first packet's headers (LRH
     * length and BTH as for that packet alone) then, if the last packet's opcode carries immediate
     * data, its 4 bytes; no ICRC; the payload of every packet is held by reference
     * ({@link #payloadRefs()}). The packets'
     * other headers follow from the first's: opcode MIDDLE then {@link #lastSegmentOpcode()}, PSN
     * one more each, AckReq from {@link #segmentFlags()} bit i, SE on the last from bit
     * {@link #RUN_SE_ON_LAST} (so a run holds at most {@link #MAX_RUN_SEGMENTS} packets). Only
     * a port that {@link FabricPort#segmentationOffload accepts runs} for the destination is given
     * one, so runs never leave the process and are never seen by a receiver that expects packets.
     */
    public int segments() {
        return segments;
    }

    public int segmentPayload() {
        return segmentPayload;
    }

    public long segmentFlags() {
        return segmentFlags;
    }

    public int lastSegmentOpcode() {
        return lastSegmentOpcode;
    }

    /** Bytes the packets would take on a wire (what the port counters count): {@link #length()} for a plain packet. */
    public int wireBytes() {
        return segments == 1 ? length : wireBytes;
    }

    /**
     * Marks this frame a segment run (see {@link #segments()}).
     *
     * @throws IllegalArgumentException if {@code count} is outside 2..{@link #MAX_RUN_SEGMENTS} or the
     *                                  sizes are not positive
     */
    public Frame setSegmentRun(int count, int payloadPerSegment, long flags, int lastOpcode, int bytesOnWire) {
        if (count < 2 || count > MAX_RUN_SEGMENTS || payloadPerSegment < 1 || bytesOnWire < 1) {
            throw new IllegalArgumentException("a segment run needs 2.." + MAX_RUN_SEGMENTS + " segments of positive size");
        }
        this.segments = count;
        this.segmentPayload = payloadPerSegment;
        this.segmentFlags = flags;
        this.lastSegmentOpcode = lastOpcode;
        this.wireBytes = bytesOnWire;
        return this;
    }

    /**
     * Slices of the sender's registered memory that hold a segment run's payload, in order
     * ({@link #addPayloadRef}): a run carries its payload by reference, and the receiver copies it
     * once, straight from the sender's memory into its own: the single-copy path that intra-node
     * transports take (Linux CMA's process_vm_readv, KNEM), where a wire would need a copy on each
     * side. The sender resolved and checked the slices (keys, PD, bounds) when it built the run; as
     * on any HCA, the application must not change a send buffer before the send completes.
     */
    public int payloadRefs() {
        return refCount;
    }

    public ByteBuffer payloadRefBuffer(int i) {
        return refBuffers[i];
    }

    public int payloadRefOffset(int i) {
        return refOffsets[i];
    }

    public int payloadRefLength(int i) {
        return refLengths[i];
    }

    /** Bytes of payload held by reference (the sum of the slices' lengths). */
    public int payloadRefBytes() {
        return refBytes;
    }

    /**
     * Appends a slice {@code [offset, offset + length)} of {@code memory} to the payload.
     *
     * @throws IllegalArgumentException if the slice is empty or outside the buffer
     */
    public Frame addPayloadRef(ByteBuffer memory, int offset, int length) {
        if (memory == null || length < 1 || offset < 0 || offset > memory.capacity() - length) {
            throw new IllegalArgumentException("a payload slice must be a non-empty range of its buffer");
        }
        if (refCount == refBuffers.length) {
            refBuffers = Arrays.copyOf(refBuffers, refCount * 2);
            refOffsets = Arrays.copyOf(refOffsets, refCount * 2);
            refLengths = Arrays.copyOf(refLengths, refCount * 2);
        }
        refBuffers[refCount] = memory;
        refOffsets[refCount] = offset;
        refLengths[refCount] = length;
        refCount++;
        refBytes += length;
        return this;
    }

    /** Copies {@code other}'s packet into this frame. */
    public Frame copyFrom(Frame other) {
        buffer.put(0, other.buffer, 0, other.length);
        length = other.length;
        tag = other.tag;
        icrcOffloaded = other.icrcOffloaded;
        segments = other.segments;
        segmentPayload = other.segmentPayload;
        segmentFlags = other.segmentFlags;
        lastSegmentOpcode = other.lastSegmentOpcode;
        wireBytes = other.wireBytes;
        clearRefs();
        for (int i = 0; i < other.refCount; i++) {
            addPayloadRef(other.refBuffers[i], other.refOffsets[i], other.refLengths[i]);
        }
        return this;
    }

    /**
     * Gives the frame back to its pool. Call exactly once per acquisition.
     *
     * @throws IllegalStateException if the frame was already released (a bug in the caller)
     */
    public void release() {
        if (!state.compareAndSet(IN_USE, FREE)) {
            throw new IllegalStateException("frame released twice");
        }
        if (pool != null) {
            pool.recycle(this);
        }
    }

    private void clearRefs() {
        Arrays.fill(refBuffers, 0, refCount, null); // keep no region alive through a pooled frame
        refCount = 0;
        refBytes = 0;
    }

    void markInUse() {
        state.set(IN_USE);
        length = 0;
        tag = 0;
        icrcOffloaded = false;
        segments = 1;
        clearRefs();
    }
}
