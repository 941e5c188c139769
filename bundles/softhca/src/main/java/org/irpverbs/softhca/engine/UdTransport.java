package org.irpverbs.softhca.engine;

import java.nio.ByteBuffer;
import org.irpverbs.softhca.engine.SoftHca.Counter;
import org.irpverbs.softhca.fabric.FabricPort;
import org.irpverbs.softhca.fabric.Frame;
import org.irpverbs.softhca.wire.Bth;
import org.irpverbs.softhca.wire.Deth;
import org.irpverbs.softhca.wire.Gid;
import org.irpverbs.softhca.wire.Grh;
import org.irpverbs.softhca.wire.ImmDt;
import org.irpverbs.softhca.wire.Lrh;
import org.irpverbs.softhca.wire.OpCode;
import org.irpverbs.softhca.wire.PacketLayout;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.SpecialQpType;
import org.irpverbs.verbs.WcOpcode;
import org.irpverbs.verbs.WcStatus;
import org.irpverbs.verbs.WrOpcode;

/**
 * Unreliable datagram service, both directions: one packet per message (payload up to the port
 * MTU, else LOC_LEN_ERR), DETH with the Q_Key (the QP's when the WR's has its high bit set) and
 * source QPN; multicast (DLID an MLID) carries a GRH whose DGID is the group's MGID and is looped
 * back to this HCA's own attached QPs. A receiver drops packets whose Q_Key differs (counted),
 * places the GRH in the first 40 bytes of the receive buffer (left untouched if the packet had
 * none) and the payload after it, and reports source QPN and LID. A send error takes the QP to
 * SQE; a receive error to ERR.
 *
 * <p>Special QPs (CONF_SPECIAL_QP): a packet for QPN 0 or 1 goes to that port's QP0 or QP1
 * context; QP0 sends and receives on VL15 only, with no P_Key or Q_Key check; QP1 accepts only the
 * GSI Q_Key 0x80010000; both send with source QPN 0 or 1. Simplification: mthca runs the special
 * QPs as MLX QPs, for which the driver builds the LRH/BTH/DETH in the WQE; here the hardware builds
 * them as for any UD QP, which puts the same headers on the wire.
 *
 * <p>Owns no QP state beyond the send cursor ({@code sendIndex}, {@code nextPsn}) of UD QPs. Not
 * thread-safe: the engine's pass only (EngineThread serialises the passes). Allocation per
 * packet: none, except a multicast GID for an MLID no group names.
 */
final class UdTransport {
    private final SoftHca hca;
    private final EngineTuning tuning;
    private final PacketTransmitter tx;
    private final CompletionWriter completions;

    UdTransport(SoftHca hca, PacketTransmitter tx, CompletionWriter completions) {
        this.hca = hca;
        this.tuning = hca.tuning;
        this.tx = tx;
        this.completions = completions;
    }

    /** A doorbell rang on a UD QP in RTS: sends its new WQEs, one packet each, and completes them. */
    void send(QpContext qp) {
        HcaPort port = qp.device.port(qp.attrs.port);
        if (port == null) {
            return;
        }
        int burst = 0;
        while (qp.state == QpState.RTS && qp.sendIndex < qp.sqProduced) {
            if (burst++ >= tuning.sendBurstPackets()) {
                hca.engine.ring(qp);
                return;
            }
            SendWqe w = qp.sendSlot(qp.sendIndex);
            w.started = true;
            WcStatus err = w.totalLength > port.mtu.bytes() ? WcStatus.LOC_LEN_ERR : w.checkLocal(qp);
            if (err == null && !sendDatagram(qp, port, w)) {
                err = WcStatus.LOC_PROT_ERR;
            }
            w.error = err;
            w.done = true;
            qp.sendIndex++;
            completions.completeInOrder(qp);
        }
    }

    private Gid multicastGid(DeviceState s, int mlid) {
        MgmEntry e = s.mgm[mlid - Lrh.MULTICAST_LID_FIRST];
        if (e != null) {
            return e.gid();
        }
        Gid g = hca.fabric.multicastGid(mlid);
        // no group known: an IPoIB-style link-local multicast GID naming the MLID
        return g != null ? g : new Gid(0xFF12401BFFFF0000L, mlid);
    }

    private boolean sendDatagram(QpContext qp, HcaPort port, SendWqe w) {
        DeviceState s = qp.device;
        boolean multicast = Lrh.isMulticast(w.destLid);
        boolean imm = w.opcode == WrOpcode.SEND_WITH_IMM;
        OpCode op = imm ? OpCode.UD_SEND_ONLY_WITH_IMMEDIATE : OpCode.UD_SEND_ONLY;
        Frame f = hca.frames.acquire();
        ByteBuffer b = f.buffer();
        int p;
        if (multicast) {
            Lrh.write(b, 0, 0, 0, qp.attrs.serviceLevel, Lrh.LNH_IBA_GLOBAL, w.destLid, 0, port.lid);
            Gid dgid = multicastGid(s, w.destLid);
            Grh.write(b, Lrh.BYTES, 0, 0, 0, 0, Gid.LINK_LOCAL_PREFIX, hca.config.portGuid(port.number), dgid.prefix(),
                    dgid.interfaceId());
            p = Lrh.BYTES + Grh.BYTES;
        } else {
            // SMPs travel on the management lane VL15 (IBA 7.6.5); everything else on VL0
            int vl = qp.special == SpecialQpType.SMI ? Lrh.VL_MANAGEMENT : 0;
            Lrh.write(b, 0, vl, 0, qp.attrs.serviceLevel, Lrh.LNH_IBA_LOCAL, w.destLid, 0, port.lid);
            p = Lrh.BYTES;
        }
        Bth.write(b, p, op.code(), w.solicited, true, 0, 0, PacketTransmitter.pkeyOf(qp, port), multicast ? Bth.MULTICAST_QPN : w.remoteQpn,
                false, qp.nextPsn);
        qp.nextPsn = Bth.psnAdd(qp.nextPsn, 1);
        p += Bth.BYTES;
        int qkey = (w.remoteQkey & 0x80000000) != 0 ? qp.attrs.qkey : w.remoteQkey;
        Deth.write(b, p, qkey, qp.wireQpn);
        p += Deth.BYTES;
        if (imm) {
            ImmDt.write(b, p, w.immediate);
            p += ImmDt.BYTES;
        }
        int len = w.totalLength;
        if (len > 0) {
            if (w.isInline) {
                b.put(p, w.inline, 0, len);
            } else if (!MemoryAccess.gather(s, qp.pd, w.addresses, w.lengths, w.lkeys, w.sgeCount, 0, b, p, len)) {
                f.release();
                return false;
            }
            p += len;
        }
        FabricPort fp = port.fabricPort;
        tx.finish(fp, f, p);
        if (multicast && s.mgm[w.destLid - Lrh.MULTICAST_LID_FIRST] != null) {
            // HCA loopback: the switch never sends a packet back out of the port it came in on
            Frame copy = hca.frames.acquire().copyFrom(f);
            copy.setTag(port.number);
            hca.engine.receive(copy);
        }
        if (fp == null) {
            f.release();
        } else {
            tx.handOff(fp, f, 1);
        }
        return true;
    }

    /** A UD packet (unicast, or multicast to every attached QP on the port it came in on). */
    void receive(DeviceState s, HcaPort port, ByteBuffer b, PacketLayout l) {
        int dlid = Lrh.dlid(b, l.lrhOffset);
        if (Lrh.isMulticast(dlid)) {
            MgmEntry e = s.mgm[dlid - Lrh.MULTICAST_LID_FIRST];
            if (e == null) {
                hca.count(Counter.NO_QP_DROPS);
                return;
            }
            for (int qpn : e.qpns()) {
                QpContext qp = s.qps.get(qpn);
                if (qp != null && qp.attrs.port == port.number) {
                    deliverDatagram(qp, port, b, l);
                }
            }
        } else {
            int destQp = Bth.destQp(b, l.bthOffset);
            boolean management = Lrh.vl(b, l.lrhOffset) == Lrh.VL_MANAGEMENT;
            QpContext qp;
            if (destQp <= SpecialQpType.GSI.qpn()) {
                // QPN 0 and 1 are each port's own special QPs, wherever CONF_SPECIAL_QP put their contexts
                qp = s.specialQp(destQp, port.number);
            } else {
                qp = s.qps.get(destQp);
                if (qp != null && qp.special != null) {
                    qp = null; // a special QP's context is reached as QPN 0 or 1 only
                }
            }
            if (qp == null || qp.attrs.port != port.number) {
                hca.count(Counter.NO_QP_DROPS);
                return;
            }
            if (management != (qp.special == SpecialQpType.SMI)) {
                // VL15 carries SMPs only, and SMPs come on VL15 only (IBA 7.6.5, C7-42)
                hca.count(Counter.MALFORMED);
                return;
            }
            deliverDatagram(qp, port, b, l);
        }
    }

    private void deliverDatagram(QpContext qp, HcaPort port, ByteBuffer b, PacketLayout l) {
        QpState st = qp.state;
        if (qp.type != QpType.UD || (st != QpState.RTR && st != QpState.RTS && st != QpState.SQD
                && st != QpState.SQE)) {
            hca.count(Counter.NO_QP_DROPS);
            return;
        }
        // QP0 checks neither P_Key nor Q_Key (IBA 10.9.3, 9.6.1.1.1: SMPs must reach the SMA even
        // with a P_Key table still empty); QP1 accepts only the well-known GSI Q_Key (C9-49)
        SpecialQpType special = qp.special;
        if (special != SpecialQpType.SMI && !Transport.pkeyAccepted(hca, qp, port, b, l)) {
            return;
        }
        int expectedQkey = special == SpecialQpType.GSI ? SpecialQpType.GSI_QKEY : qp.attrs.qkey;
        if (special != SpecialQpType.SMI && Deth.qkey(b, l.dethOffset) != expectedQkey) {
            port.qkeyViolations.incrementAndGet();
            hca.count(Counter.QKEY_VIOLATIONS);
            return;
        }
        if (qp.receiveQueueEmpty()) {
            hca.count(Counter.UD_NO_RECEIVE);
            return;
        }
        RecvWqe w = qp.recvSlot(qp.rqConsumed);
        int len = l.payloadLength;
        int srcQp = Deth.srcQp(b, l.dethOffset);
        int srcLid = Lrh.slid(b, l.lrhOffset);
        boolean grh = l.grhOffset >= 0;
        if (Grh.BYTES + len > w.totalLength) {
            completions.completeRecv(qp, w, WcStatus.LOC_LEN_ERR, WcOpcode.RECV, 0, false, 0, srcQp, srcLid, grh, false);
            completions.enterError(qp, null);
            return;
        }
        boolean ok = !grh || MemoryAccess.scatter(qp.device, qp.pd, w.addresses, w.lengths, w.lkeys,
                w.sgeCount, 0, b, l.grhOffset, Grh.BYTES);
        if (ok && len > 0) {
            ok = MemoryAccess.scatter(qp.device, qp.pd, w.addresses, w.lengths, w.lkeys, w.sgeCount, Grh.BYTES, b,
                    l.payloadOffset, len);
        }
        if (!ok) {
            completions.completeRecv(qp, w, WcStatus.LOC_PROT_ERR, WcOpcode.RECV, 0, false, 0, srcQp, srcLid, grh, false);
            completions.enterError(qp, null);
            return;
        }
        boolean imm = l.opcode.hasImmediate();
        completions.completeRecv(qp, w, WcStatus.SUCCESS, WcOpcode.RECV, Grh.BYTES + len, imm, imm ? ImmDt.value(b, l.immOffset) : 0,
                srcQp, srcLid, grh, Bth.solicitedEvent(b, l.bthOffset));
    }
}
