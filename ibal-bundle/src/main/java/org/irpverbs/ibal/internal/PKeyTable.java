package org.irpverbs.ibal.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.irpverbs.ibal.mad.Mad;
import org.irpverbs.ibal.mad.MadHeader;
import org.irpverbs.ibal.mad.MadMethod;
import org.irpverbs.ibal.mad.ManagementClass;
import org.irpverbs.irp.IoStatusException;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.VerbsRequest;

/**
 * Reads a port's P_Key table from the HCA's own subnet management agent: SubnGet(P_KeyTable)
 * SMPs handed over with LOCAL_MAD (MAD_IFC), one per block of 32 entries (IBA 14.2.5.7, the
 * attribute modifier is the block number), block after block from each one's completion, until
 * the agent answers a block with a bad status (past the table's end, PartitionCap) or gives no
 * answer. What mthca's query_pkey does for ib_query_pkey, for the whole table; QUERY_PORT reports
 * only entry 0.
 *
 * <p>Thread-safe: static; each read owns its buffers.
 */
final class PKeyTable {
    static final int ATTR_PKEY_TABLE = 0x0016;
    static final int ENTRIES_PER_BLOCK = 32;
    /** The largest table IBA allows is 65,536 entries (PartitionCap is 16 bits): 2,048 blocks. */
    static final int MAX_BLOCKS = 2048;
    private static final int SMP_DATA = 64;
    private static final AtomicLong TRANSACTION_IDS = new AtomicLong(0x1BA1_0000_0000L);

    private PKeyTable() {}

    /**
     * The port's P_Key table (its entries in index order), each LOCAL_MAD sent by {@code sender}
     * (at once in queued mode; IBAL's AL_MISC worker in legacy mode, where MAD_IFC may block the
     * sending thread); fails with an {@link IoStatusException} saying why if block 0 cannot be read.
     */
    static CompletionStage<int[]> read(java.util.function.Function<VerbsRequest<?>, ? extends CompletionStage<Integer>> sender,
            int port) {
        return readFrom(sender, port, 0, new int[0]);
    }

    private static CompletionStage<int[]> readFrom(java.util.function.Function<VerbsRequest<?>, ? extends CompletionStage<Integer>> sender,
            int port, int block, int[] sofar) {
        if (block == MAX_BLOCKS) {
            return CompletableFuture.completedFuture(sofar);
        }
        VerbsRequest.LocalMad request = new VerbsRequest.LocalMad(port, request(block));
        return sender.apply(request).thenCompose(status -> {
            String problem = !NtStatus.isSuccess(status) ? HcaRequests.failure(request, status) : problem(request.result());
            if (problem != null) {
                if (block == 0) {
                    return CompletableFuture.failedFuture(new IoStatusException(
                            NtStatus.isSuccess(status) ? NtStatus.DEVICE_NOT_READY : status,
                            "cannot read port " + port + "'s P_Key table: " + problem));
                }
                return CompletableFuture.completedFuture(sofar); // past the end of the table
            }
            int[] table = Arrays.copyOf(sofar, sofar.length + ENTRIES_PER_BLOCK);
            ByteBuffer mad = ByteBuffer.wrap(request.result());
            for (int i = 0; i < ENTRIES_PER_BLOCK; i++) {
                table[sofar.length + i] = mad.getShort(SMP_DATA + 2 * i) & 0xFFFF;
            }
            return readFrom(sender, port, block + 1, table);
        });
    }

    private static byte[] request(int block) {
        MadHeader header = MadHeader.request(ManagementClass.SUBN_LID_ROUTED, 1, MadMethod.GET,
                TRANSACTION_IDS.incrementAndGet(), ATTR_PKEY_TABLE, block);
        return Mad.of(header, new byte[Mad.DATA_BYTES]).toBytes();
    }

    /** Why a response is not a good GetResp(P_KeyTable), or null. */
    private static String problem(byte[] response) {
        if (response == null || response.length < Mad.BYTES) {
            return "the management agent gave no answer";
        }
        ByteBuffer mad = ByteBuffer.wrap(response);
        int method = mad.get(MadHeader.OFFSET_METHOD) & 0xFF;
        int attribute = mad.getShort(MadHeader.OFFSET_ATTRIBUTE_ID) & 0xFFFF;
        if (method != MadMethod.GET_RESP || attribute != ATTR_PKEY_TABLE) {
            return String.format("the management agent answered method 0x%02x attribute 0x%04x", method, attribute);
        }
        int status = mad.getShort(MadHeader.OFFSET_STATUS) & 0x7FFF; // bit 15: the D bit of a directed-route SMP
        return status == 0 ? null : String.format("MAD status 0x%04x", status);
    }
}
