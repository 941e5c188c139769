/**
 * The soft HCA engine: {@link org.irpverbs.softhca.engine.SoftHca}, the simulated hardware behind
 * {@link org.irpverbs.softhca.SoftHcaHardware} (firmware commands, contexts, memory protection,
 * data movement, RC and UD transport over a {@link org.irpverbs.softhca.fabric.Fabric}), created
 * with {@link org.irpverbs.softhca.engine.SoftHcas}.
 *
 * <p>Execution model (design.md section 4): each HCA has one engine thread, its "hardware", fed by
 * lock-free queues (doorbells, packets from the fabric, command executions, timer expiries); it
 * parks when idle. A consumer busy-polling an empty CQ may run the engine's packet and doorbell
 * work in its own thread meanwhile, one pass at a time with the engine ({@code EngineThread}:
 * NAPI-style busy polling). Firmware latency and transport timers are {@code IoManager} timers, never
 * sleeping threads. Everything the hardware tells the driver — command completions, CQ events,
 * asynchronous events — goes through one ordered event queue drained by DPCs at DISPATCH.
 */
@Version("1.1.0")
@Export
package org.irpverbs.softhca.engine;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
