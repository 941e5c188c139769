package org.irpverbs.hca.memfree;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.irpverbs.hca.core.CommandCallback;
import org.irpverbs.hca.core.CommandRunner;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.softhca.cmdif.HcrRequest;
import org.junit.Test;

/**
 * The chunk state machine on its own, with commands the test completes when it chooses: the
 * orderings a real HCA produces only by chance (an acquire while the chunk is being mapped or
 * unmapped, a failed map with waiters).
 */
public class IcmChunksTest {
    /** Commands sent, completed by the test in any order. */
    private static final class Commands implements CommandRunner {
        record Sent(Command command, CommandCallback callback) {
        }

        final ArrayDeque<Sent> pending = new ArrayDeque<>();
        final List<Command> log = new ArrayList<>();

        @Override
        public void run(Command command, CommandCallback callback) {
            log.add(command);
            pending.add(new Sent(command, callback));
        }

        void complete(int status) {
            Sent s = pending.poll();
            s.callback().completed(status, new HcrRequest(s.command()));
        }
    }

    private final Commands commands = new Commands();
    private final IcmChunks cqc = new IcmChunks(IcmTable.CQC);
    private final List<Integer> results = new ArrayList<>();

    @Test
    public void theFirstContextInAChunkMapsItAndTheLastOneUnmapsIt() {
        int perChunk = IcmTable.CQC.entriesPerChunk();
        cqc.acquire(3, 1, commands, results::add);
        assertEquals(List.of(new Command.MapIcm(IcmTable.CQC, 0)), commands.log);
        commands.complete(NtStatus.SUCCESS);
        cqc.acquire(4, 1, commands, results::add);
        cqc.acquire(perChunk + 1, 1, commands, results::add);
        commands.complete(NtStatus.SUCCESS);
        assertEquals(List.of(0, 0, 0), results);
        assertEquals("the second context in chunk 0 cost nothing", 2, commands.log.size());
        assertEquals(2, cqc.references(0));
        assertEquals(1, cqc.references(1));
        assertEquals(2, cqc.usage().chunksMapped());
        cqc.release(3, 1, commands, results::add);
        assertTrue("chunk 0 still holds context 4", commands.pending.isEmpty());
        cqc.release(4, 1, commands, results::add);
        assertEquals(new Command.UnmapIcm(IcmTable.CQC, 0), commands.pending.peek().command());
        commands.complete(NtStatus.SUCCESS);
        assertEquals(1, cqc.usage().chunksMapped());
        assertEquals(1, cqc.usage().unmaps());
        assertEquals(2, cqc.usage().maps());
    }

    @Test
    public void anAcquireWhileTheChunkIsBeingMappedWaitsForTheMap() {
        cqc.acquire(0, 1, commands, results::add);
        cqc.acquire(1, 1, commands, results::add);
        assertEquals("one MAP_ICM for both", 1, commands.log.size());
        assertEquals(List.of(), results);
        commands.complete(NtStatus.SUCCESS);
        assertEquals(List.of(0, 0), results);
        assertEquals(2, cqc.references(0));
    }

    @Test
    public void anAcquireWhileTheChunkIsBeingUnmappedMapsItAgainAfterwards() {
        cqc.acquire(0, 1, commands, results::add);
        commands.complete(NtStatus.SUCCESS);
        cqc.release(0, 1, commands, results::add);
        assertEquals(new Command.UnmapIcm(IcmTable.CQC, 0), commands.pending.peek().command());
        cqc.acquire(5, 1, commands, results::add);
        assertEquals("waits: no MAP_ICM while the UNMAP_ICM runs", 2, commands.log.size());
        commands.complete(NtStatus.SUCCESS);
        assertEquals(new Command.MapIcm(IcmTable.CQC, 0), commands.pending.peek().command());
        commands.complete(NtStatus.SUCCESS);
        assertEquals(List.of(0, 0, 0), results);
        assertEquals(1, cqc.usage().chunksMapped());
        assertEquals(1, cqc.references(0));
    }

    @Test
    public void aFailedMapFailsTheAcquirerAndItsWaitersAndLeavesNothingBehind() {
        cqc.acquire(0, 1, commands, results::add);
        cqc.acquire(1, 1, commands, results::add);
        commands.complete(NtStatus.INSUFFICIENT_RESOURCES);
        assertEquals(List.of(NtStatus.INSUFFICIENT_RESOURCES, NtStatus.INSUFFICIENT_RESOURCES), results);
        assertEquals(0, cqc.references(0));
        assertEquals(0, cqc.usage().chunksMapped());
        cqc.acquire(0, 1, commands, results::add);
        assertEquals("the next acquire tries again", new Command.MapIcm(IcmTable.CQC, 0), commands.pending.peek().command());
    }

    @Test
    public void aRangeMapsEveryChunkAndARangeThatFailsHalfwayGivesBackWhatItTook() {
        IcmChunks mtt = new IcmChunks(IcmTable.MTT);
        int perChunk = IcmTable.MTT.entriesPerChunk();
        mtt.acquire(perChunk - 2, 4, commands, results::add);
        commands.complete(NtStatus.SUCCESS);
        commands.complete(NtStatus.SUCCESS);
        assertEquals(List.of(0), results);
        assertEquals(2, mtt.usage().chunksMapped());
        mtt.acquire(3 * perChunk, perChunk + 1, commands, results::add);
        commands.complete(NtStatus.SUCCESS);
        commands.complete(NtStatus.DEVICE_REMOVED);
        // chunk 3 was mapped for it: released again
        assertEquals(new Command.UnmapIcm(IcmTable.MTT, 3), commands.pending.peek().command());
        commands.complete(NtStatus.SUCCESS);
        assertEquals(List.of(0, NtStatus.DEVICE_REMOVED), results);
        assertEquals(2, mtt.usage().chunksMapped());
    }
}
