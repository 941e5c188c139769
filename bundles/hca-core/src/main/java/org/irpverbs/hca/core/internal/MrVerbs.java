package org.irpverbs.hca.core.internal;

import java.nio.ByteBuffer;
import org.irpverbs.hca.core.CommandRunner;
import org.irpverbs.hca.core.ContextMemory;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.MemoryRegion;
import org.irpverbs.verbs.VerbsRequest;

/**
 * REG_MR and DEREG_MR. Registration takes an MPT index and an MTT segment of ceil(length / 4096)
 * entries, then: [context memory for the MTT entries] WRITE_MTT, [for the MPT entry] SW2HW_MPT.
 * The key is {@code index << 8 | tag}, the tag changing with every registration of that index, so
 * a key kept after deregistration does not name the next region. Deregistration: HW2SW_MPT, then
 * the context memory is released (mem-free: UNMAP_ICM when the last entry of a chunk goes).
 */
final class MrVerbs {
    static final int PAGE_SIZE = 4096;
    private static final int WRITE_ACCESS = AccessFlags.LOCAL_WRITE | AccessFlags.REMOTE_WRITE | AccessFlags.REMOTE_ATOMIC;

    private MrVerbs() {}

    static int register(VerbCall call) {
        VerbsRequest.RegMr request = (VerbsRequest.RegMr) call.request;
        FunctionDevice device = call.device;
        Tables t = device.tables();
        long length = request.memory.remaining();
        if (length == 0) {
            return call.reject(NtStatus.INVALID_PARAMETER, "the memory to register is empty (position == limit)");
        }
        String access = AccessFlags.invalidReason(request.access);
        if (access != null) {
            return call.reject(NtStatus.INVALID_PARAMETER, access);
        }
        if (request.memory.isReadOnly() && (request.access & WRITE_ACCESS) != 0) {
            return call.reject(NtStatus.INVALID_PARAMETER, "the buffer is read-only but the access rights "
                    + AccessFlags.toString(request.access) + " allow writes to it");
        }
        if (Long.compareUnsigned(request.address + length - 1, request.address) < 0) {
            return call.reject(NtStatus.INVALID_PARAMETER, String.format(
                    "address 0x%X + length %d wraps around the 64-bit address space", request.address, length));
        }
        int pages = (int) ((length + PAGE_SIZE - 1) / PAGE_SIZE);
        int order = BuddyAllocator.orderFor(pages);
        if (order > t.mtts.maxOrder()) {
            return call.reject(NtStatus.INSUFFICIENT_RESOURCES, "a region of " + pages + " pages needs more MTT entries than "
                    + device.name() + " has (" + t.mtts.capacity() + ")");
        }
        String pdProblem = PdVerbs.use(call, request.pd);
        if (pdProblem != null) {
            return call.reject(NtStatus.INVALID_HANDLE, pdProblem);
        }
        PdContext pd = (PdContext) request.pd.driverState();
        int mpt = t.mpts.allocate();
        if (mpt < 0) {
            pd.life.unuse();
            return call.reject(NtStatus.INSUFFICIENT_RESOURCES, "the MPT table is full (" + t.mpts.capacity() + " regions)");
        }
        int mttBase = t.mtts.allocate(order);
        if (mttBase < 0) {
            t.mpts.free(mpt);
            pd.life.unuse();
            return call.reject(NtStatus.INSUFFICIENT_RESOURCES, "no free segment of " + (1 << order)
                    + " MTT entries (" + t.mtts.inUse() + " of " + t.mtts.capacity() + " in use)");
        }
        int key = mpt << 8 | (t.mptTags.incrementAndGet(mpt) & 0xFF);
        ByteBuffer memory = request.memory.slice();
        int result = call.pend();
        Undo undo = new Undo().push(pd.life::unuse).push(() -> t.mpts.free(mpt)).push(() -> t.mtts.free(mttBase, order));
        String mttMemory = "REG_MR: context memory for MTT entries " + mttBase + ".." + (mttBase + pages - 1);
        String mptMemory = "REG_MR: context memory for MPT entry " + mpt;
        call.acquireOrUndo(IcmTable.MTT, mttBase, pages, undo, mttMemory, () ->
                call.runOrUndo(new Command.WriteMtt(mttBase, pages), undo, "REG_MR", () ->
                        call.acquireOrUndo(IcmTable.MPT, mpt, 1, undo, mptMemory, () -> {
                            Command sw2hw = new Command.Sw2HwMpt(mpt, key, pd.number, request.address, length,
                                    request.access, mttBase, pages, memory);
                            call.runOrUndo(sw2hw, undo, "REG_MR", () -> {
                                MrContext mr = new MrContext(pd, mpt, mttBase, order, pages);
                                call.succeed(new MemoryRegion(device.fdo(), call.file, mpt, mr, key, key,
                                        request.address, length, request.access));
                            });
                        })));
        return result;
    }

    static int deregister(VerbCall call, MemoryRegion handle) {
        FunctionDevice device = call.device;
        String invalid = device.invalid(handle, "MR", call.file, MrContext.class);
        if (invalid != null) {
            return call.reject(NtStatus.INVALID_HANDLE, invalid);
        }
        MrContext mr = (MrContext) handle.driverState();
        String busy = mr.life.beginDestroy("MR " + mr.mpt, "users");
        if (busy != null) {
            return call.reject(NtStatus.INVALID_HANDLE, busy);
        }
        handle.markDestroyed();
        int result = call.pend();
        Tables t = device.tables();
        ContextMemory icm = device.memory();
        CommandRunner commands = call.commands();
        commands.run(new Command.Hw2SwMpt(mr.mpt), (status, hw2sw) -> {
            String problem = NtStatus.isSuccess(status) ? null : VerbCall.commandFailed("DEREG_MR", status, hw2sw);
            icm.release(IcmTable.MPT, mr.mpt, 1, commands, mptReleased ->
                    icm.release(IcmTable.MTT, mr.mttBase, mr.mttCount, commands, mttReleased -> {
                        t.mtts.free(mr.mttBase, mr.mttOrder);
                        t.mpts.free(mr.mpt);
                        mr.pd.life.unuse();
                        mr.life.destroyed();
                        call.destroyed("MR " + mr.mpt, status, problem);
                    }));
        });
        return result;
    }
}
