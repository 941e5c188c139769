package org.irpverbs.softhca.engine;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.irpverbs.softhca.fabric.FabricPort;
import org.irpverbs.softhca.fabric.Frame;
import org.irpverbs.softhca.wire.Bth;
import org.irpverbs.softhca.wire.Lrh;
import org.irpverbs.softhca.wire.OpCode;
import org.irpverbs.softhca.wire.PacketCodec;

/**
 * The transport's way out: writes the local route and base transport headers of RC packets,
 * finishes packets (pad, lengths, ICRC unless the port offloads it), and queues everything the
 * engine produced in the current pass so that {@link #flush} hands it to the fabric as one burst
 * per port. Used by every role ({@link RcRequester}, {@link RcResponder}, {@link UdTransport}).
 *
 * <p>Not thread-safe: the engine's pass only (EngineThread serialises the passes; the queue is the
 * pass's). Allocation: none (frames are pooled; headers are written in place).
 */
final class PacketTransmitter {
    private final SoftHca hca;
    private final PacketCodec codec = new PacketCodec();
    private final Outgoing outgoing = new Outgoing();

    PacketTransmitter(SoftHca hca) {
        this.hca = hca;
    }

    /**
     * Writes a local LRH and a BTH for a packet of RC QP {@code qp} (its path's DLID and SL, its
     * P_Key and destination QP) at the start of {@code b}; returns the offset after the BTH.
     */
    static int beginRc(ByteBuffer b, QpContext qp, HcaPort port, OpCode op, boolean se, boolean ackReq, int psn) {
        Lrh.write(b, 0, 0, 0, qp.attrs.serviceLevel, Lrh.LNH_IBA_LOCAL, qp.attrs.destLid, 0, port.lid);
        Bth.write(b, Lrh.BYTES, op.code(), se, true, 0, 0, pkeyOf(qp, port), qp.attrs.destQpn, ackReq, psn);
        return Lrh.BYTES + Bth.BYTES;
    }

    /** The P_Key the QP's packets carry: its entry in the port's table. */
    static int pkeyOf(QpContext qp, HcaPort port) {
        return port.pkeys.get(qp.attrs.pkeyIndex);
    }

    /**
     * Finishes (pad, lengths, ICRC unless the port offloads it) and queues the frame for the port;
     * the fabric owns it after.
     */
    void transmit(HcaPort port, Frame f, int payloadEnd) {
        FabricPort fp = port.fabricPort;
        if (fp == null) {
            f.release(); // the port is not up: the packet goes nowhere (the retry timer notices)
            return;
        }
        finish(fp, f, payloadEnd);
        handOff(fp, f, 1);
    }

    /** Pad, lengths, and the ICRC unless {@code fp} offloads it (or is null: no port). */
    void finish(FabricPort fp, Frame f, int payloadEnd) {
        boolean offload = fp != null && fp.icrcOffload();
        f.setLength(codec.finish(f.buffer(), 0, payloadEnd, !offload)).setIcrcOffloaded(offload);
    }

    /**
     * Queues a finished frame standing for {@code packets} packets for its port; {@link #flush}
     * hands the queue to the fabric. One engine pass at a time, so the queue is the pass's.
     */
    void handOff(FabricPort fp, Frame f, int packets) {
        hca.packetsSent.addAndGet(packets);
        outgoing.add(fp, f);
    }

    /** Hands the packets queued during this pass of the engine to their ports, a burst per port. */
    void flush() {
        outgoing.flush();
    }

    /**
     * Packets the engine produced in the current pass, in order, with their ports (one pass at a
     * time). Handing them over together lets the fabric deliver a run to one
     * receiver with one queue operation and one wake-up, where a real HCA's DMA engine would post a
     * batch of descriptors with one doorbell.
     */
    private static final class Outgoing {
        private static final int CAPACITY = 64;
        private final Frame[] frames = new Frame[CAPACITY];
        private final FabricPort[] ports = new FabricPort[CAPACITY];
        private int count;

        void add(FabricPort port, Frame frame) {
            frames[count] = frame;
            ports[count] = port;
            if (++count == CAPACITY) {
                flush();
            }
        }

        void flush() {
            int n = count;
            count = 0;
            int i = 0;
            while (i < n) {
                FabricPort port = ports[i];
                int j = i + 1;
                while (j < n && ports[j] == port) {
                    j++;
                }
                port.sendBurst(frames, i, j);
                i = j;
            }
            Arrays.fill(frames, 0, n, null);
            Arrays.fill(ports, 0, n, null);
        }
    }
}
