/**
 * The InfiniBand wire format of IBA volume 1 chapter 9 (transport) and 7 (link): the local and
 * global route headers ({@link org.irpverbs.softhca.wire.Lrh}, {@link org.irpverbs.softhca.wire.Grh}),
 * the base and extended transport headers ({@link org.irpverbs.softhca.wire.Bth},
 * {@link org.irpverbs.softhca.wire.Reth}, {@link org.irpverbs.softhca.wire.Aeth},
 * {@link org.irpverbs.softhca.wire.Deth}, {@link org.irpverbs.softhca.wire.ImmDt},
 * {@link org.irpverbs.softhca.wire.AtomicEth}, {@link org.irpverbs.softhca.wire.AtomicAckEth}), the
 * BTH opcodes ({@link org.irpverbs.softhca.wire.OpCode}), the invariant CRC
 * ({@link org.irpverbs.softhca.wire.Icrc}) and a codec that builds and validates whole packets
 * ({@link org.irpverbs.softhca.wire.PacketCodec}, {@link org.irpverbs.softhca.wire.Packet}).
 *
 * <p>Every header is big-endian and byte-exact, so that the same bytes from the BTH onward can
 * travel as RoCEv2 over UDP: the link/network part (LRH, GRH) is kept apart from the transport
 * part (BTH and what follows). The VCRC (the 2-byte link CRC that every IB link hop recomputes) is
 * omitted: the soft fabric has no physical layer, and the ICRC still protects every byte end to
 * end.
 *
 * <p>Header records are immutable and thread-safe; their static {@code read...}/{@code write}
 * methods work on a caller's buffer at an absolute offset without moving its position, allocate
 * nothing, and are meant for the data path. Buffers must be in big-endian order (the
 * {@link java.nio.ByteBuffer} default).
 */
@Version("1.1.0")
@Export
package org.irpverbs.softhca.wire;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
