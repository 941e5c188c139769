package org.irpverbs.hca.core.internal;

import org.irpverbs.hca.core.CommandRunner;
import org.irpverbs.hca.core.ContextMemory;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.softhca.Command;
import org.irpverbs.softhca.IcmTable;
import org.irpverbs.softhca.Opcode;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpTransitions;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.SpecialQpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.ScatterGatherList;
import org.irpverbs.verbs.VerbsRequest;

/**
 * CREATE_QP, MODIFY_QP, QUERY_QP and DESTROY_QP, as mthca does them: CREATE_QP takes a QPN and
 * makes its context memory ready but sends the firmware nothing; the QP's context is written by
 * RST2INIT at its first MODIFY_QP to INIT, with the properties kept from CREATE_QP. Each MODIFY_QP
 * is checked against the IB state machine ({@link QpTransitions}) and becomes the matching
 * transition command; the handle's state changes only when the command succeeded. DESTROY_QP moves
 * the QP to RESET first (TO_RST) unless it is there, then releases it. Only one MODIFY_QP or
 * DESTROY_QP runs on a QP at a time; an overlapping one fails with INVALID_DEVICE_STATE.
 * CREATE_SPECIAL_QP makes a port's QP0 or QP1 the same way, on the context CONF_SPECIAL_QP
 * assigned at start (mthca_alloc_sqp).
 */
final class QpVerbs {
    private QpVerbs() {}

    /** What CREATE_QP and CREATE_SPECIAL_QP have in common. */
    private record Shape(org.irpverbs.verbs.ProtectionDomain pd, QpType type, org.irpverbs.verbs.CompletionQueue sendCq,
            org.irpverbs.verbs.CompletionQueue recvCq, int maxSendWr, int maxRecvWr, int maxSge, int maxInlineData,
            boolean signalAll) {
    }

    static int create(VerbCall call) {
        VerbsRequest.CreateQp r = (VerbsRequest.CreateQp) call.request;
        Tables t = call.device.tables();
        return create(call, new Shape(r.pd, r.type, r.sendCq, r.recvCq, r.maxSendWr, r.maxRecvWr, r.maxSge,
                r.maxInlineData, r.signalAll), null, 0, () -> {
                    int qpn = t.qps.allocate();
                    return qpn >= 0 ? qpn : -1;
                }, "the QP table is full (" + t.qps.capacity() + " QPs)", NtStatus.INSUFFICIENT_RESOURCES);
    }

    /**
     * CREATE_SPECIAL_QP: as CREATE_QP, with the context CONF_SPECIAL_QP made the port's QP0 or QP1
     * (Tables#claimSpecialQp) instead of an allocated number; UD, no inline data (MADs are gathered).
     */
    static int createSpecial(VerbCall call) {
        VerbsRequest.CreateSpecialQp r = (VerbsRequest.CreateSpecialQp) call.request;
        FunctionDevice device = call.device;
        int ports = device.config().ports();
        if (r.port < 1 || r.port > ports) {
            return call.reject(NtStatus.INVALID_PARAMETER, "port must be 1.." + ports + ", was " + r.port);
        }
        Tables t = device.tables();
        if (t.specialQpBase(r.kind) < 0) {
            return call.reject(NtStatus.NOT_SUPPORTED,
                    "the QP table of " + device.name() + " is too small to hold the special QPs");
        }
        return create(call, new Shape(r.pd, QpType.UD, r.sendCq, r.recvCq, r.maxSendWr, r.maxRecvWr, r.maxSge, 0,
                r.signalAll), r.kind, r.port, () -> t.claimSpecialQp(r.kind, r.port),
                "port " + r.port + " already has its " + r.kind + " QP (QP" + r.kind.qpn() + ")",
                NtStatus.INVALID_DEVICE_STATE);
    }

    private static int create(VerbCall call, Shape request, SpecialQpType special, int specialPort,
            java.util.function.IntSupplier number, String noNumber, int noNumberStatus) {
        FunctionDevice device = call.device;
        Command.DeviceLimits limits = device.limits();
        String bad = badSizes(request, limits);
        if (bad != null) {
            return call.reject(NtStatus.INVALID_PARAMETER, bad);
        }
        String pdProblem = PdVerbs.use(call, request.pd());
        if (pdProblem != null) {
            return call.reject(NtStatus.INVALID_HANDLE, pdProblem);
        }
        PdContext pd = (PdContext) request.pd().driverState();
        Undo undo = new Undo().push(pd.life::unuse);
        String sendCqProblem = useCq(call, request.sendCq(), "send CQ");
        if (sendCqProblem != null) {
            undo.run(() -> { });
            return call.reject(NtStatus.INVALID_HANDLE, sendCqProblem);
        }
        CqContext sendCq = (CqContext) request.sendCq().driverState();
        undo.push(sendCq.life::unuse);
        String recvCqProblem = useCq(call, request.recvCq(), "receive CQ");
        if (recvCqProblem != null) {
            undo.run(() -> { });
            return call.reject(NtStatus.INVALID_HANDLE, recvCqProblem);
        }
        CqContext recvCq = (CqContext) request.recvCq().driverState();
        undo.push(recvCq.life::unuse);
        Tables t = device.tables();
        int qpn = number.getAsInt();
        if (qpn < 0) {
            undo.run(() -> { });
            return call.reject(noNumberStatus, noNumber);
        }
        undo.push(() -> t.freeQpn(qpn));
        Command.QpSetup setup = new Command.QpSetup(request.type(), pd.number, sendCq.cqn, recvCq.cqn,
                request.maxSendWr(), request.maxRecvWr(), request.maxSge(), request.maxInlineData(), request.signalAll());
        int result = call.pend();
        String qpcMemory = "CREATE_QP: context memory for QP " + qpn;
        String eqpcMemory = "CREATE_QP: extended context memory for QP " + qpn;
        call.acquireOrUndo(IcmTable.QPC, qpn, 1, undo, qpcMemory, () ->
                call.acquireOrUndo(IcmTable.EQPC, qpn, 1, undo, eqpcMemory, () -> {
                    QpContext qp = new QpContext(pd, sendCq, recvCq, setup, special, specialPort);
                    QueuePair handle = new QueuePair(device.fdo(), call.file, qpn, qp, request.type());
                    qp.handle = handle;
                    t.qpByNumber.set(qpn, qp);
                    call.succeed(handle);
                }));
        return result;
    }

    private static String badSizes(Shape request, Command.DeviceLimits limits) {
        int maxSge = Math.min(limits.maxSge(), ScatterGatherList.MAX);
        if (request.maxSendWr() < 1 || request.maxSendWr() > limits.maxQpWr()) {
            return "maxSendWr must be 1.." + limits.maxQpWr() + ", was " + request.maxSendWr();
        }
        if (request.maxRecvWr() < 0 || request.maxRecvWr() > limits.maxQpWr()) {
            return "maxRecvWr must be 0.." + limits.maxQpWr() + ", was " + request.maxRecvWr();
        }
        if (request.maxSge() < 1 || request.maxSge() > maxSge) {
            return "maxSge must be 1.." + maxSge + ", was " + request.maxSge();
        }
        if (request.maxInlineData() < 0 || request.maxInlineData() > limits.maxInlineData()) {
            return "maxInlineData must be 0.." + limits.maxInlineData() + ", was " + request.maxInlineData();
        }
        return null;
    }

    /** References a CQ the new QP uses; null if it may be used, else why not. */
    private static String useCq(VerbCall call, org.irpverbs.verbs.CompletionQueue handle, String what) {
        String invalid = call.device.invalid(handle, what, call.file, CqContext.class);
        if (invalid != null) {
            return invalid;
        }
        if (!((CqContext) handle.driverState()).life.use()) {
            return what + " " + handle.number() + " is being destroyed";
        }
        return null;
    }

    /** The firmware command for a transition QpTransitions allowed; null for RESET to RESET (nothing to do). */
    static Opcode transition(QpState from, QpState to) {
        if (to == QpState.RESET) {
            return from == QpState.RESET ? null : Opcode.TO_RST_QPEE;
        }
        if (to == QpState.ERR) {
            return Opcode.TO_ERR_QPEE;
        }
        return switch (from) {
            case RESET -> Opcode.RST2INIT_QPEE;
            case INIT -> to == QpState.INIT ? Opcode.INIT2INIT_QPEE : Opcode.INIT2RTR_QPEE;
            case RTR -> Opcode.RTR2RTS_QPEE;
            case RTS -> to == QpState.RTS ? Opcode.RTS2RTS_QPEE : Opcode.RTS2SQD_QPEE;
            case SQD -> to == QpState.SQD ? Opcode.SQD2SQD_QPEE : Opcode.SQD2RTS_QPEE;
            case SQE -> Opcode.SQERR2RTS_QPEE;
            case ERR -> throw new IllegalArgumentException("no transition from ERR to " + to);
        };
    }

    static int modify(VerbCall call) {
        VerbsRequest.ModifyQp request = (VerbsRequest.ModifyQp) call.request;
        FunctionDevice device = call.device;
        QueuePair handle = request.qp;
        String invalid = device.invalid(handle, "QP", call.file, QpContext.class);
        if (invalid != null) {
            return call.reject(NtStatus.INVALID_HANDLE, invalid);
        }
        QpContext qp = (QpContext) handle.driverState();
        String busy = qp.life.begin("QP " + handle.number());
        if (busy != null) {
            return call.reject(NtStatus.INVALID_DEVICE_STATE, busy);
        }
        QpAttributes attributes = request.attributes;
        QpState current = handle.state();
        String why = QpTransitions.check(handle.type(), current, attributes);
        int ports = device.config().ports();
        if (why == null && attributes.has(QpAttributes.PORT) && attributes.port > ports) {
            why = "port must be 1.." + ports + ", was " + attributes.port;
        }
        if (why == null && qp.special != null && attributes.has(QpAttributes.PORT) && attributes.port != qp.specialPort) {
            why = "it is port " + qp.specialPort + "'s " + qp.special + " QP, so its port is " + qp.specialPort
                    + ", not " + attributes.port;
        }
        if (why != null) {
            qp.life.end();
            return call.reject(NtStatus.INVALID_PARAMETER, "QP " + handle.number() + ": " + why);
        }
        QpState target = attributes.has(QpAttributes.STATE) ? attributes.state : current;
        Opcode opcode = transition(current, target);
        if (opcode == null) {
            qp.life.end();
            call.succeed();
            return NtStatus.SUCCESS;
        }
        Command command = new Command.ModifyQp(opcode, handle.number(), opcode == Opcode.RST2INIT_QPEE ? qp.setup : null,
                attributes);
        int result = call.pend();
        call.commands().run(command, (status, modify) -> {
            if (NtStatus.isSuccess(status)) {
                handle.setState(target);
            }
            qp.life.end();
            if (NtStatus.isSuccess(status)) {
                call.succeed();
            } else {
                call.fail(status, VerbCall.commandFailed("MODIFY_QP " + handle.number() + " " + current + " -> " + target,
                        status, modify));
            }
        });
        return result;
    }

    static int query(VerbCall call) {
        VerbsRequest.QueryQp request = (VerbsRequest.QueryQp) call.request;
        QueuePair handle = request.qp;
        String invalid = call.device.invalid(handle, "QP", call.file, QpContext.class);
        if (invalid != null) {
            return call.reject(NtStatus.INVALID_HANDLE, invalid);
        }
        if (handle.state() == QpState.RESET) {
            // as mthca_query_qp: the firmware has no context for a QP in RESET
            call.succeed(new QpAttributes().toState(QpState.RESET));
            return NtStatus.SUCCESS;
        }
        int result = call.pend();
        call.commands().run(new Command.QueryQp(handle.number()), (status, query) -> {
            if (!NtStatus.isSuccess(status)) {
                call.fail(status, VerbCall.commandFailed("QUERY_QP " + handle.number(), status, query));
                return;
            }
            if (!(query.output() instanceof QpAttributes attributes)) {
                call.fail(NtStatus.INTERNAL_ERROR, "QUERY_QPEE returned no QP attributes");
                return;
            }
            if (attributes.has(QpAttributes.STATE) && attributes.state != null) {
                handle.setState(attributes.state);
            }
            call.succeed(attributes);
        });
        return result;
    }

    static int destroy(VerbCall call, QueuePair handle) {
        FunctionDevice device = call.device;
        String invalid = device.invalid(handle, "QP", call.file, QpContext.class);
        if (invalid != null) {
            return call.reject(NtStatus.INVALID_HANDLE, invalid);
        }
        QpContext qp = (QpContext) handle.driverState();
        String busy = qp.life.beginDestroy("QP " + handle.number(), "multicast attachments");
        if (busy != null) {
            return call.reject(handle.isDestroyed() ? NtStatus.INVALID_HANDLE : NtStatus.INVALID_DEVICE_STATE, busy);
        }
        handle.markDestroyed();
        int result = call.pend();
        int qpn = handle.number();
        CommandRunner commands = call.commands();
        if (handle.state() == QpState.RESET) {
            release(call, qp, qpn, commands, NtStatus.SUCCESS, null);
        } else {
            Command toReset = new Command.ModifyQp(Opcode.TO_RST_QPEE, qpn, null, new QpAttributes().toState(QpState.RESET));
            commands.run(toReset, (status, modify) -> {
                handle.setState(QpState.RESET);
                release(call, qp, qpn, commands, status,
                        NtStatus.isSuccess(status) ? null : VerbCall.commandFailed("DESTROY_QP", status, modify));
            });
        }
        return result;
    }

    private static void release(VerbCall call, QpContext qp, int qpn, CommandRunner commands, int status, String problem) {
        FunctionDevice device = call.device;
        Tables t = device.tables();
        ContextMemory icm = device.memory();
        icm.release(IcmTable.QPC, qpn, 1, commands, qpc -> icm.release(IcmTable.EQPC, qpn, 1, commands, eqpc -> {
            t.qpByNumber.compareAndSet(qpn, qp, null);
            t.freeQpn(qpn);
            qp.pd.life.unuse();
            qp.sendCq.life.unuse();
            qp.recvCq.life.unuse();
            qp.life.destroyed();
            call.destroyed("QP " + qpn, status, problem);
        }));
    }
}
