package org.irpverbs.ibal.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.irpverbs.ibal.user.UserRecords;
import org.irpverbs.irp.FileObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.SpinLock;
import org.irpverbs.verbs.VerbsHandle;

/**
 * One user-mode opener of IBAL's device (the context of its {@link FileObject}), as WinOF's
 * per-process handle table over the AL object tree: a table from the opaque 64-bit handles it was
 * given to the HCA's objects, and one {@link ObjectTree} per CA it used, the client of which is
 * this file object. The tree does the reference counting and the refusals; the table only
 * translates and scopes: a handle is found only in the table of the file that created it.
 *
 * <p>A handle is {@code type << 56 | (file id & 0xFFFFFF) << 32 | serial}: the type byte makes a
 * wrong-type handle recognisable; the file's id makes a value copied from another opener miss this
 * table (rather than name an object of this one by coincidence); the serial is never reused.
 *
 * <p>Thread-safe: a {@link SpinLock} guards the table for a few instructions; never blocks.
 */
final class UserFile {
    /** One object of this file: its type, CA, the HCA's handle, and (for an MR) the pinned memory. */
    record Entry(int type, CiCa ca, VerbsHandle object, ByteBuffer memory) {
    }

    private final FileObject file;
    private final String name;
    private final SpinLock lock = new SpinLock();
    private final Map<Long, Entry> handles = new HashMap<>();
    private final Map<CiCa, ObjectTree> trees = new IdentityHashMap<>();
    /** The destruction of each tree, once begun. */
    private final Map<CiCa, CompletionStage<Integer>> destroying = new IdentityHashMap<>();
    private int serial;
    private boolean closing;

    UserFile(FileObject file) {
        this.file = file;
        this.name = "user file " + file.id();
    }

    String name() {
        return name;
    }

    /** The file's tree on {@code ca}, made on first use; null once the file is closing. */
    ObjectTree tree(CiCa ca) {
        lock.lock();
        try {
            if (closing) {
                return null;
            }
            return trees.computeIfAbsent(ca, c -> new ObjectTree(name, c.name()));
        } finally {
            lock.unlock();
        }
    }

    /** Records a new object and returns its handle. */
    long add(int type, CiCa ca, VerbsHandle object, ByteBuffer memory) {
        lock.lock();
        try {
            long handle = ((long) type << UserRecords.Handle.TYPE_SHIFT) | ((file.id() & 0xFFFFFFL) << 32)
                    | (++serial & 0xFFFFFFFFL);
            handles.put(handle, new Entry(type, ca, object, memory));
            return handle;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The entry of {@code handle} if it is this file's and of {@code type}; else null, with the
     * status in {@code status[0]}: INVALID_HANDLE (not in this file's table: never made, destroyed,
     * or another opener's) or OBJECT_TYPE_MISMATCH (this file's, of another type).
     */
    Entry lookup(long handle, int type, int[] status) {
        Entry e;
        lock.lock();
        try {
            e = handles.get(handle);
        } finally {
            lock.unlock();
        }
        if (e == null) {
            status[0] = NtStatus.INVALID_HANDLE;
            return null;
        }
        if (e.type() != type) {
            status[0] = NtStatus.OBJECT_TYPE_MISMATCH;
            return null;
        }
        return e;
    }

    void remove(long handle) {
        lock.lock();
        try {
            handles.remove(handle);
        } finally {
            lock.unlock();
        }
    }

    int handleCount() {
        lock.lock();
        try {
            return handles.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Destroys the file's tree on {@code ca}, children first (it waits by completion for the
     * tree's requests in flight, then sends one destroy from the previous one's completion). Once
     * per tree: a second call (the CA left, then the file closes) gets the first one's stage.
     */
    CompletionStage<Integer> destroyTree(IoManager io, CiCa ca, LegacyWorkers legacy) {
        ObjectTree tree;
        CompletableFuture<Integer> stage;
        lock.lock();
        try {
            CompletionStage<Integer> started = destroying.get(ca);
            if (started != null) {
                return started;
            }
            tree = trees.get(ca);
            if (tree == null) {
                return CompletableFuture.completedFuture(0);
            }
            // recorded before the tree is told, so no second destroyAll of it can start
            stage = new CompletableFuture<>();
            destroying.put(ca, stage);
        } finally {
            lock.unlock();
        }
        // legacy mode: each destroy is issued from IBAL's destroy thread (AL_OBJ), as a port child's are
        tree.destroyAll(request -> legacy == null ? HcaRequests.call(io, ca.hca, request)
                : legacy.call(LegacyWorkers.Role.AL_OBJ, io, ca.hca, request)).whenComplete((failed, error) -> {
            if (error != null) {
                stage.completeExceptionally(error);
            } else {
                stage.complete(failed);
            }
        });
        return stage;
    }

    /**
     * CLEANUP: no new object from now on; every tree is destroyed ({@link #destroyTree}); the
     * table is emptied when they are done, which frees the pinned regions.
     */
    CompletionStage<Void> destroyAll(IoManager io, LegacyWorkers legacy) {
        List<CiCa> all;
        lock.lock();
        try {
            closing = true;
            all = new ArrayList<>(trees.keySet());
        } finally {
            lock.unlock();
        }
        CompletableFuture<?>[] each = new CompletableFuture<?>[all.size()];
        for (int i = 0; i < each.length; i++) {
            each[i] = destroyTree(io, all.get(i), legacy).toCompletableFuture();
        }
        return CompletableFuture.allOf(each).thenRun(() -> {
            lock.lock();
            try {
                handles.clear();
            } finally {
                lock.unlock();
            }
        });
    }

    /** The trees of this file, for views. */
    List<ObjectTree> trees() {
        lock.lock();
        try {
            return new ArrayList<>(trees.values());
        } finally {
            lock.unlock();
        }
    }
}
