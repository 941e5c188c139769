package org.irpverbs.hca.memfree;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.irpverbs.hca.core.CommandRunner;
import org.irpverbs.hca.core.Continuation;
import org.irpverbs.hca.core.IcmUsage;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.SpinLock;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.IcmTable;

/**
 * The ICM chunks of one context table and their reference counts (mthca_table_get/put): the first
 * live context in a chunk maps it (MAP_ICM), the last one to go unmaps it (UNMAP_ICM).
 *
 * <h2>Chunk states</h2>
 * <pre>
 *            first acquire: MAP_ICM                    MAP_ICM done
 *  UNMAPPED ─────────────────────────────► MAPPING ─────────────────► MAPPED
 *     ▲                                       ▲ (a waiter maps again)    │ last release: UNMAP_ICM
 *     │          UNMAP_ICM done, no waiters   │                          ▼
 *     └────────────────────────────────── UNMAPPING ◄────────────────────┘
 * </pre>
 * mthca serialises this with a mutex held across the commands. Here nothing waits: an acquire that
 * finds the chunk MAPPING or UNMAPPING leaves its continuation with the chunk and returns; the
 * command's completion resumes it (MAP_ICM done: ready; UNMAP_ICM done: the first waiter maps the
 * chunk again with its own verb's request, the rest keep waiting for that). So a context is never
 * used before its chunk is mapped, and a chunk is never unmapped under a live context. If MAP_ICM
 * fails, the acquirer and every waiter fail with its status and their references are dropped.
 *
 * <p>Thread-safe: a {@link SpinLock} guards the state for a few instructions and is never held
 * while a command is sent or a continuation runs; usable at DISPATCH.
 */
final class IcmChunks {
    private enum State {
        MAPPING, MAPPED, UNMAPPING
    }

    /** An acquire waiting for a chunk's mapping to settle: who continues, and with which verb's request. */
    private record Waiter(CommandRunner runner, Continuation done) {
    }

    private static final class Chunk {
        final int index;
        State state = State.MAPPING;
        int references;
        final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

        Chunk(int index) {
            this.index = index;
        }
    }

    private final IcmTable table;
    private final SpinLock lock = new SpinLock();
    /** Chunks with references or a command in flight; absent means UNMAPPED and unreferenced. */
    private final Map<Integer, Chunk> chunks = new HashMap<>();
    private long maps;
    private long unmaps;

    IcmChunks(IcmTable table) {
        this.table = table;
    }

    /** Contexts {@code [first, first + count)}: every chunk they touch, in order; rolled back on failure. */
    void acquire(int first, int count, CommandRunner runner, Continuation done) {
        int low = table.chunkOf(first);
        int high = table.chunkOf(first + count - 1);
        acquireFrom(low, low, high, runner, done);
    }

    void release(int first, int count, CommandRunner runner, Continuation done) {
        releaseFrom(table.chunkOf(first), table.chunkOf(first + count - 1), runner, done);
    }

    private void acquireFrom(int low, int chunk, int high, CommandRunner runner, Continuation done) {
        if (chunk > high) {
            done.resume(NtStatus.SUCCESS);
            return;
        }
        acquireChunk(chunk, runner, status -> {
            if (NtStatus.isSuccess(status)) {
                acquireFrom(low, chunk + 1, high, runner, done);
            } else {
                // the chunks before this one were acquired: give them back before failing
                releaseFrom(low, chunk - 1, runner, released -> done.resume(status));
            }
        });
    }

    private void releaseFrom(int chunk, int high, CommandRunner runner, Continuation done) {
        if (chunk > high) {
            done.resume(NtStatus.SUCCESS);
            return;
        }
        releaseChunk(chunk, runner, status -> releaseFrom(chunk + 1, high, runner, done));
    }

    private void acquireChunk(int index, CommandRunner runner, Continuation done) {
        boolean map = false;
        boolean ready = false;
        Chunk chunk;
        lock.lock();
        try {
            chunk = chunks.get(index);
            if (chunk == null) {
                chunk = new Chunk(index);
                chunks.put(index, chunk);
                map = true;
            } else if (chunk.state == State.MAPPED) {
                ready = true;
            } else {
                chunk.waiters.addLast(new Waiter(runner, done));
            }
            chunk.references++;
        } finally {
            lock.unlock();
        }
        if (map) {
            map(chunk, runner, done);
        } else if (ready) {
            done.resume(NtStatus.SUCCESS);
        }
    }

    private void map(Chunk chunk, CommandRunner runner, Continuation done) {
        runner.run(new Command.MapIcm(table, chunk.index), (status, request) -> mapped(chunk, status, done));
    }

    private void mapped(Chunk chunk, int status, Continuation done) {
        List<Waiter> resume;
        lock.lock();
        try {
            resume = new ArrayList<>(chunk.waiters);
            chunk.waiters.clear();
            if (NtStatus.isSuccess(status)) {
                chunk.state = State.MAPPED;
                maps++;
            } else {
                chunk.references -= 1 + resume.size();
                if (chunk.references == 0) {
                    chunks.remove(chunk.index, chunk);
                }
            }
        } finally {
            lock.unlock();
        }
        done.resume(status);
        for (Waiter w : resume) {
            w.done().resume(status);
        }
    }

    private void releaseChunk(int index, CommandRunner runner, Continuation done) {
        Chunk chunk;
        boolean unmap = false;
        lock.lock();
        try {
            chunk = chunks.get(index);
            if (chunk == null || chunk.references == 0) {
                // released more often than acquired: a driver bug, but memory is not mapped anyway
                chunk = null;
            } else if (--chunk.references == 0 && chunk.state == State.MAPPED) {
                chunk.state = State.UNMAPPING;
                unmap = true;
            }
        } finally {
            lock.unlock();
        }
        if (chunk == null) {
            done.resume(NtStatus.INTERNAL_ERROR);
            return;
        }
        if (!unmap) {
            done.resume(NtStatus.SUCCESS);
            return;
        }
        Chunk releasing = chunk;
        runner.run(new Command.UnmapIcm(table, index), (status, request) -> unmapped(releasing, done));
    }

    /**
     * UNMAP_ICM is over (a failed unmap counts too: the context is gone either way, and the next
     * acquire maps the chunk again).
     */
    private void unmapped(Chunk chunk, Continuation done) {
        Waiter first;
        lock.lock();
        try {
            unmaps++;
            first = chunk.waiters.pollFirst();
            if (first != null) {
                chunk.state = State.MAPPING;
            } else {
                chunks.remove(chunk.index, chunk);
            }
        } finally {
            lock.unlock();
        }
        done.resume(NtStatus.SUCCESS);
        if (first != null) {
            map(chunk, first.runner(), first.done());
        }
    }

    /** The device was reset: nothing is mapped any more. */
    void reset() {
        lock.lock();
        try {
            chunks.clear();
        } finally {
            lock.unlock();
        }
    }

    IcmUsage usage() {
        lock.lock();
        try {
            int mapped = 0;
            int references = 0;
            for (Chunk c : chunks.values()) {
                if (c.state == State.MAPPED) {
                    mapped++;
                }
                references += c.references;
            }
            return new IcmUsage(mapped, references, maps, unmaps);
        } finally {
            lock.unlock();
        }
    }

    /** The reference count of one chunk (0 if unmapped), for tests and shells. */
    int references(int chunk) {
        lock.lock();
        try {
            Chunk c = chunks.get(chunk);
            return c == null ? 0 : c.references;
        } finally {
            lock.unlock();
        }
    }
}
