/**
 * The soft HCA engine: {@link org.irpverbs.softhca.engine.SoftHca}, the simulated hardware behind
 * {@link org.irpverbs.softhca.SoftHcaHardware} (firmware commands, contexts, memory protection,
 * data movement, RC and UD transport over a {@link org.irpverbs.softhca.fabric.Fabric}), created
 * with {@link org.irpverbs.softhca.engine.SoftHcas}.
 *
 * <p>Execution model (docs/architecture.md §7): each HCA has one engine thread, its "hardware", fed by
 * lock-free queues (doorbells, packets from the fabric, command executions, timer expiries); it
 * parks when idle. A consumer busy-polling an empty CQ may run the engine's packet and doorbell
 * work in its own thread meanwhile, one pass at a time with the engine ({@code EngineThread}:
 * NAPI-style busy polling). Firmware latency and transport timers are {@code IoManager} timers, never
 * sleeping threads. Everything the hardware tells the driver — command completions, CQ events,
 * asynchronous events — goes through one ordered event queue drained by DPCs at DISPATCH.
 *
 * <p>Who owns what (all classes but {@code SoftHca}, {@code SoftHcas}, {@code EngineTuning} and
 * {@code TransportStatistics} are package-private):
 * <ul>
 * <li>{@code EngineThread}: the thread and its queues (control work, the packet inbox, rung
 * doorbells) and the busy-poll hand-off. Whoever holds its pass lock — the engine thread, or one
 * busy-polling consumer for packet and doorbell work only — runs a pass; passes never overlap, so
 * everything below is single-threaded and needs no lock of its own. Control work (commands, timer
 * expiries) runs on the engine thread only.</li>
 * <li>{@code CommandProcessor}: firmware commands, on the engine thread; it changes QP state
 * through {@code Transport} (TO_ERR, TO_RST).</li>
 * <li>{@code Transport}: the entry point of a pass's packet and doorbell work. It validates each
 * packet, splits segment runs into their packets (it owns the run cursor) and hands each packet to
 * its role; rung doorbells go to the role of the QP's type. The roles, one instance each per HCA,
 * as IBA chapter 9 divides the transport:
 * <ul>
 * <li>{@code RcRequester}: the requester fields of each RC {@code QpContext} (send cursor, PSNs,
 * retry and RNR counters, the ACK and RNR timers) and the transport state of its {@code SendWqe}s;
 * it sends requests and takes ACKs, NAKs, read responses and atomic ACKs.</li>
 * <li>{@code RcResponder}: the responder fields (expected PSN, MSN, the message in progress, the
 * coalescing ACK, saved atomic results) and the queue of pending ACKs; it executes requests.</li>
 * <li>{@code UdTransport}: the send cursor of UD QPs; datagrams both ways, multicast loopback.</li>
 * <li>{@code CompletionWriter}: writes CQEs (the one producer of every {@code CqContext}), advances
 * the consumer indexes of the work queues, and takes QPs to ERR/SQE with their flushes.</li>
 * <li>{@code PacketTransmitter}: the pass's outgoing packets, handed to the fabric as one burst
 * per port at the end of the pass.</li>
 * </ul></li>
 * <li>Posting threads own only the request half of queue slots and the producer indexes, under the
 * QP's send and receive spin locks ({@code QpContext}); pollers copy CQEs under the CQ's spin
 * lock.</li>
 * </ul>
 */
@Version("1.2.0")
@Export
package org.irpverbs.softhca.engine;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
