/**
 * The fabric that connects soft HCA ports: an in-process switch addressed by LID
 * ({@link org.irpverbs.softhca.fabric.InProcessFabric}, registered in OSGi as the
 * {@link org.irpverbs.softhca.fabric.Fabric} service), with unicast by DLID, multicast by MLID to
 * the ports that joined, link up/down and MTU per port, and IB PortCounters per port.
 *
 * <p>What moves is a whole packet in a {@link org.irpverbs.softhca.fabric.Frame} (LRH first, as the
 * {@link org.irpverbs.softhca.wire} package encodes it). Ownership of a frame passes with it: the
 * sender gives it to its port, the fabric gives it to the receiving port's
 * {@link org.irpverbs.softhca.fabric.FrameReceiver}, and whoever holds it last releases it to its
 * {@link org.irpverbs.softhca.fabric.FramePool}, so the data path copies each payload once on the
 * way out and once on the way in, and allocates nothing per packet. Senders hand over bursts
 * ({@code FabricPort.sendBurst}) and receivers take them with one queue operation; the in-process
 * fabric offloads the ICRC (computed only for frames that leave through a transport) and lets an
 * engine send several packets of one message as a segment run whose payload stays in the sender's
 * registered memory until the receiver copies it (one copy instead of two).
 *
 * <p>Frames for LIDs no local port owns are offered to {@link org.irpverbs.softhca.fabric.FabricTransport}s:
 * the SPI through which a RoCEv2-over-UDP transport (port 4791) can later carry the same packets
 * between processes, without the HCA engine changing.
 *
 * <p>Simplified, as docs/architecture.md §11 allows: one switch, no physical layer (no virtual lanes,
 * no credit-based link flow control, no link training), the SM's routing replaced by the LID table.
 */
@Version("2.0.0")
@Export
package org.irpverbs.softhca.fabric;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
