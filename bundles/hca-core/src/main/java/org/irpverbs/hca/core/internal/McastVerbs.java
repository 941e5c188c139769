package org.irpverbs.hca.core.internal;

import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.irpverbs.hca.core.CommandRunner;
import org.irpverbs.hca.core.ContextMemory;
import org.irpverbs.irp.CancelSafeQueue;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.VerbsRequest;

/**
 * ATTACH_MCAST and DETACH_MCAST. A group's MGM entry lists its QPs and is rewritten whole by
 * WRITE_MGM, so two changes to one group must not overlap (mthca holds a mutex across READ_MGM and
 * WRITE_MGM). Here they take turns without a lock: one operation runs, the others wait as requests
 * in a cancel-safe queue, and the next one starts as a deferred call when the running one
 * completes. A new group takes an MCG entry (and, mem-free, its ICM chunk); the last QP leaving
 * frees it. An attached QP cannot be destroyed (its attachments count as its users, as
 * ib_attach_mcast counts them).
 *
 * <p>Thread-safe.
 */
final class McastVerbs {
    private final FunctionDevice device;
    private final CancelSafeQueue waiting;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final Map<String, McastGroup> groups = new ConcurrentSkipListMap<>();

    McastVerbs(FunctionDevice device) {
        this.device = device;
        this.waiting = new CancelSafeQueue(device.fdo(), device.fdo().name() + " multicast");
    }

    /** Groups with at least one QP now. */
    int groups() {
        return groups.size();
    }

    int serve(VerbCall call) {
        VerbsRequest.Multicast request = (VerbsRequest.Multicast) call.request;
        QueuePair qp = request.qp;
        String invalid = device.invalid(qp, "QP", call.file, QpContext.class);
        if (invalid != null) {
            return call.reject(NtStatus.INVALID_HANDLE, invalid);
        }
        if (qp.type() != QpType.UD) {
            return call.reject(NtStatus.INVALID_PARAMETER,
                    "only UD QPs join multicast groups; QP " + qp.number() + " is " + qp.type());
        }
        if (((QpContext) qp.driverState()).special != null) {
            return call.reject(NtStatus.INVALID_PARAMETER, "QP " + qp.number() + " is a port's "
                    + ((QpContext) qp.driverState()).special + " QP; special QPs join no multicast group (IBA 10.5.2.1)");
        }
        if (qp.state() == org.irpverbs.verbs.QpState.RESET) {
            // the firmware has no context for a QP before RST2INIT, so WRITE_MGM cannot name it
            return call.reject(NtStatus.INVALID_DEVICE_STATE, "QP " + qp.number()
                    + " is in RESET; move it to INIT before it joins a multicast group");
        }
        if (request.gid.length != 16 || (request.gid[0] & 0xFF) != 0xFF) {
            return call.reject(NtStatus.INVALID_PARAMETER,
                    "a multicast GID is 16 bytes starting with 0xFF, was " + HexFormat.of().formatHex(request.gid));
        }
        if (request.mlid < 0xC000 || request.mlid > 0xFFFE) {
            return call.reject(NtStatus.INVALID_PARAMETER,
                    String.format("a multicast LID is 0xC000..0xFFFE, was 0x%X", request.mlid));
        }
        int result = call.pend();
        if (busy.compareAndSet(false, true)) {
            run(call);
        } else {
            int status = waiting.insert(call.irp);
            if (status == NtStatus.PENDING) {
                kick();
            }
        }
        return result;
    }

    /** Starts the next waiting operation if none runs. */
    private void kick() {
        if (busy.compareAndSet(false, true)) {
            device.commandPath().defer(this::next);
        }
    }

    /** Runs the next waiting operation, or gives up the turn; called holding the turn. */
    private void next() {
        Irp irp = waiting.removeNext();
        if (irp != null) {
            run(new VerbCall(device, irp, (VerbsRequest<?>) irp.currentLocation().argument()));
            return;
        }
        busy.set(false);
        if (waiting.size() > 0) {
            kick();
        }
    }

    /** Ends the running operation and passes the turn on (never on this operation's stack). */
    private void done() {
        device.commandPath().defer(this::next);
    }

    private void run(VerbCall call) {
        VerbsRequest.Multicast request = (VerbsRequest.Multicast) call.request;
        if (request.qp.isDestroyed()) {
            call.fail(NtStatus.INVALID_HANDLE, "QP " + request.qp.number() + " is destroyed");
            done();
        } else if (request.attach) {
            attach(call, request);
        } else {
            detach(call, request);
        }
    }

    private void attach(VerbCall call, VerbsRequest.Multicast request) {
        String key = HexFormat.of().formatHex(request.gid);
        int qpn = request.qp.number();
        QpContext qp = (QpContext) request.qp.driverState();
        McastGroup group = groups.get(key);
        CommandRunner commands = call.commands();
        if (group != null) {
            if (group.mlid != request.mlid) {
                finish(call, NtStatus.INVALID_PARAMETER,
                        String.format("group %s has MLID 0x%X, not 0x%X", key, group.mlid, request.mlid));
            } else if (group.contains(qpn)) {
                finish(call, NtStatus.SUCCESS, null); // already attached: nothing to do, as mthca
            } else if (group.qpns.length >= McastGroup.MAX_QPS) {
                finish(call, NtStatus.INSUFFICIENT_RESOURCES,
                        "group " + key + " already has " + McastGroup.MAX_QPS + " QPs (one MGM entry)");
            } else if (!qp.life.use()) {
                finish(call, NtStatus.INVALID_HANDLE, "QP " + qpn + " is being destroyed");
            } else {
                int[] members = group.with(qpn);
                commands.run(new Command.WriteMgm(group.gid, group.mlid, members), (status, write) -> {
                    if (NtStatus.isSuccess(status)) {
                        group.qpns = members;
                        finish(call, status, null);
                    } else {
                        qp.life.unuse();
                        finish(call, status, VerbCall.commandFailed("ATTACH_MCAST", status, write));
                    }
                });
            }
            return;
        }
        Tables t = device.tables();
        int index = t.mcgs.allocate();
        if (index < 0) {
            finish(call, NtStatus.INSUFFICIENT_RESOURCES, "the multicast group table is full (" + t.mcgs.capacity() + ")");
            return;
        }
        if (!qp.life.use()) {
            t.mcgs.free(index);
            finish(call, NtStatus.INVALID_HANDLE, "QP " + qpn + " is being destroyed");
            return;
        }
        ContextMemory icm = device.memory();
        icm.acquire(IcmTable.MCG, index, 1, commands, ready -> {
            if (!NtStatus.isSuccess(ready)) {
                t.mcgs.free(index);
                qp.life.unuse();
                finish(call, ready, "ATTACH_MCAST: context memory for MCG " + index + " could not be mapped: "
                        + NtStatus.name(ready));
                return;
            }
            int[] members = {qpn};
            commands.run(new Command.WriteMgm(request.gid, request.mlid, members), (status, write) -> {
                if (NtStatus.isSuccess(status)) {
                    groups.put(key, new McastGroup(index, request.gid, request.mlid, members));
                    finish(call, status, null);
                    return;
                }
                icm.release(IcmTable.MCG, index, 1, commands, released -> {
                    t.mcgs.free(index);
                    qp.life.unuse();
                    finish(call, status, VerbCall.commandFailed("ATTACH_MCAST", status, write));
                });
            });
        });
    }

    private void detach(VerbCall call, VerbsRequest.Multicast request) {
        String key = HexFormat.of().formatHex(request.gid);
        int qpn = request.qp.number();
        McastGroup group = groups.get(key);
        if (group == null || !group.contains(qpn)) {
            finish(call, NtStatus.INVALID_PARAMETER, "QP " + qpn + " is not attached to group " + key);
            return;
        }
        if (group.mlid != request.mlid) {
            finish(call, NtStatus.INVALID_PARAMETER,
                    String.format("group %s has MLID 0x%X, not 0x%X", key, group.mlid, request.mlid));
            return;
        }
        QpContext qp = (QpContext) request.qp.driverState();
        int[] members = group.without(qpn);
        CommandRunner commands = call.commands();
        commands.run(new Command.WriteMgm(group.gid, group.mlid, members), (status, write) -> {
            if (!NtStatus.isSuccess(status)) {
                finish(call, status, VerbCall.commandFailed("DETACH_MCAST", status, write));
                return;
            }
            qp.life.unuse();
            if (members.length > 0) {
                group.qpns = members;
                finish(call, status, null);
                return;
            }
            groups.remove(key, group);
            device.memory().release(IcmTable.MCG, group.index, 1, commands, released -> {
                device.tables().mcgs.free(group.index);
                finish(call, NtStatus.SUCCESS, null);
            });
        });
    }

    private void finish(VerbCall call, int status, String why) {
        if (NtStatus.isSuccess(status)) {
            call.succeed();
        } else {
            call.fail(status, why);
        }
        done();
    }
}
