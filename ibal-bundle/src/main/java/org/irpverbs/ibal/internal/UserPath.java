package org.irpverbs.ibal.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.irpverbs.ibal.IbalCa;
import org.irpverbs.ibal.IbalObjects;
import org.irpverbs.ibal.user.IbalUserIoctl;
import org.irpverbs.ibal.user.UserRecords;
import org.irpverbs.ibal.user.UserRecords.Handle;
import org.irpverbs.irp.CancelSafeQueue;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.FileObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoStackLocation;
import org.irpverbs.irp.Irp;
import org.irpverbs.irp.IrpCompletionListener;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.verbs.AccessFlags;
import org.irpverbs.verbs.CaAttributes;
import org.irpverbs.verbs.CompletionQueue;
import org.irpverbs.verbs.MemoryRegion;
import org.irpverbs.verbs.Mtu;
import org.irpverbs.verbs.PortAttributes;
import org.irpverbs.verbs.QpAttributes;
import org.irpverbs.verbs.QpState;
import org.irpverbs.verbs.QpType;
import org.irpverbs.verbs.QueuePair;
import org.irpverbs.verbs.ReceiveWorkRequest;
import org.irpverbs.verbs.SendFlags;
import org.irpverbs.verbs.SendWorkRequest;
import org.irpverbs.verbs.VerbsRequest;
import org.irpverbs.verbs.VerbsSpeedPath;
import org.irpverbs.verbs.WorkCompletion;
import org.irpverbs.verbs.WrOpcode;
import org.irpverbs.verbs.AddressHandle;
import org.irpverbs.verbs.ProtectionDomain;

/**
 * The user-mode path of IBAL's own device: CREATE, CLEANUP and CLOSE of file objects, and the
 * DEVICE_CONTROL IOCTLs of {@link IbalUserIoctl} with the flat records of {@link UserRecords}
 * (docs/ibal-user-abi.md).
 * <pre>
 *   CREATE            the file object gets a {@link UserFile}: its handle table and object trees
 *   DEVICE_CONTROL    lengths checked (input exactly the record, output at least its record),
 *                     then the fields in record order, then the handles in the file's own table;
 *     control verbs   admitted by the file's {@link ObjectTree} on the CA, kept pending in a
 *                     cancel-safe queue, sent to the HCA in a new request carrying the VerbsRequest
 *                     (as a port child forwards a ULP's verb); the answer is written on completion
 *     POLL/POST       the HCA's speed path, called in the dispatch routine
 *   CLEANUP           (the I/O manager already cancelled the file's queued requests) every tree of
 *                     the file destroyed children first, by completion; CLEANUP completes after
 *   CLOSE             nothing left to do
 * </pre>
 * Kernel-mode openers may use the same IOCTLs; the checks are the same.
 *
 * <p>Thread-safe: per-file state is in {@link UserFile}; never blocks (every routine runs at
 * DISPATCH or on the caller's thread and returns at once).
 */
final class UserPath {
    private static final int ALL_QP_ATTRIBUTES = QpAttributes.STATE | QpAttributes.ACCESS_FLAGS
            | QpAttributes.PKEY_INDEX | QpAttributes.PORT | QpAttributes.QKEY | QpAttributes.AV | QpAttributes.PATH_MTU
            | QpAttributes.TIMEOUT | QpAttributes.RETRY_CNT | QpAttributes.RNR_RETRY | QpAttributes.RQ_PSN
            | QpAttributes.MAX_QP_RD_ATOMIC | QpAttributes.MIN_RNR_TIMER | QpAttributes.SQ_PSN
            | QpAttributes.MAX_DEST_RD_ATOMIC | QpAttributes.DEST_QPN;
    private static final int SEND_FLAGS = SendFlags.FENCE | SendFlags.SIGNALED | SendFlags.SOLICITED;

    /** Input record size and least output size per IOCTL (index: IbalUserIoctl.function); -1: variable. */
    private static final int[] INPUT = {0, UserRecords.QueryPortIn.SIZE, UserRecords.CreatePdIn.SIZE,
        UserRecords.DestroyIn.SIZE, UserRecords.CreateCqIn.SIZE, UserRecords.DestroyIn.SIZE,
        UserRecords.CreateQpIn.SIZE, UserRecords.DestroyIn.SIZE, UserRecords.ModifyQpIn.SIZE, UserRecords.RegMrIn.SIZE,
        UserRecords.DestroyIn.SIZE, UserRecords.CreateAhIn.SIZE, UserRecords.DestroyIn.SIZE, UserRecords.PollCqIn.SIZE,
        UserRecords.PostSendIn.SIZE, UserRecords.PostRecvIn.SIZE};
    private static final int[] OUTPUT = {-1, UserRecords.QueryPortOut.SIZE, UserRecords.HandleOut.SIZE, 0,
        UserRecords.CreateCqOut.SIZE, 0, UserRecords.CreateQpOut.SIZE, 0, 0, UserRecords.RegMrOut.SIZE, 0,
        UserRecords.HandleOut.SIZE, 0, -1, 0, 0};

    /** What a completed control verb writes: updates the file's table, fills {@code out} (null if the caller is gone). */
    private interface Answer {
        int write(ByteBuffer out);
    }

    private static final Answer NOTHING = out -> 0;

    private final IoManager io;
    private final IbalCore core;
    private final CancelSafeQueue pending;
    /** The open files (lock-free: added at CREATE, removed when CLEANUP or CLOSE completes, at DISPATCH). */
    private final ConcurrentLinkedQueue<UserFile> open = new ConcurrentLinkedQueue<>();

    UserPath(IoManager io, IbalCore core, DeviceObject ibalDevice) {
        this.io = io;
        this.core = core;
        this.pending = new CancelSafeQueue(ibalDevice, ibalDevice.name() + " user-mode verbs");
    }

    // ---- file objects ----

    int create(Irp irp) {
        FileObject file = irp.currentLocation().fileObject();
        if (file == null) {
            return complete(irp, NtStatus.INVALID_DEVICE_REQUEST);
        }
        UserFile user = new UserFile(file);
        file.setContext(user);
        open.add(user);
        return complete(irp, NtStatus.SUCCESS);
    }

    /** CLEANUP: completes once everything the file made is destroyed. */
    int cleanup(Irp irp) {
        FileObject file = irp.currentLocation().fileObject();
        if (file == null || !(file.context() instanceof UserFile user)) {
            return complete(irp, NtStatus.SUCCESS);
        }
        irp.markPending();
        user.destroyAll(io, core.legacyWorkers()).whenComplete((v, failure) -> {
            open.remove(user);
            irp.complete(NtStatus.SUCCESS);
        });
        return NtStatus.PENDING;
    }

    int close(Irp irp) {
        FileObject file = irp.currentLocation().fileObject();
        if (file != null && file.context() instanceof UserFile user) {
            open.remove(user);
        }
        return complete(irp, NtStatus.SUCCESS);
    }

    /** The object trees of the open files, for {@code Ibal.objects()}. */
    List<IbalObjects> objects() {
        List<IbalObjects> out = new ArrayList<>();
        for (UserFile f : open) {
            for (ObjectTree t : f.trees()) {
                out.add(t.snapshot());
            }
        }
        return out;
    }

    int openFiles() {
        return open.size();
    }

    /**
     * {@code ca} is no longer served (its HCA is leaving): each open file's objects on it are
     * destroyed now, children first, while the HCA can still answer; the file's handles to them
     * stay in its table, and a request naming one gets DEVICE_REMOVED.
     */
    void caLeft(CiCa ca) {
        for (UserFile f : open) {
            f.destroyTree(io, ca, core.legacyWorkers());
        }
    }

    /**
     * IBAL's device is being removed (IBAL stops or is updated) while files are still open: what
     * they made is destroyed as their CLEANUP would; the files stay open in the I/O manager, and
     * their CLEANUP later finds nothing left.
     */
    java.util.concurrent.CompletionStage<Void> removeAll() {
        List<java.util.concurrent.CompletableFuture<Void>> each = new ArrayList<>();
        for (UserFile f : open) {
            each.add(f.destroyAll(io, core.legacyWorkers()).toCompletableFuture());
        }
        return java.util.concurrent.CompletableFuture.allOf(each.toArray(new java.util.concurrent.CompletableFuture<?>[0]));
    }

    // ---- DEVICE_CONTROL ----

    int deviceControl(Irp irp) {
        IoStackLocation location = irp.currentLocation();
        int function = IbalUserIoctl.function(location.ioControlCode());
        if (function < 0) {
            return complete(irp, NtStatus.INVALID_DEVICE_REQUEST);
        }
        FileObject file = location.fileObject();
        if (file == null || !(file.context() instanceof UserFile user)) {
            // a request that names no file object opened on this device has no handle table
            return complete(irp, NtStatus.INVALID_HANDLE);
        }
        int inputLength = location.inputLength();
        if (inputLength < INPUT[function]) {
            return complete(irp, NtStatus.INFO_LENGTH_MISMATCH);
        }
        if (inputLength > INPUT[function]) {
            return complete(irp, NtStatus.INVALID_BUFFER_SIZE);
        }
        if (OUTPUT[function] > 0 && location.outputLength() < OUTPUT[function]) {
            irp.complete(NtStatus.BUFFER_TOO_SMALL, OUTPUT[function]);
            return NtStatus.BUFFER_TOO_SMALL;
        }
        ByteBuffer in = inputLength == 0 ? null : location.inputBuffer().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int code = location.ioControlCode();
        if (code == IbalUserIoctl.QUERY_CAS) {
            return queryCas(irp);
        }
        if (code == IbalUserIoctl.QUERY_PORT) {
            return queryPort(irp, user, in);
        }
        if (code == IbalUserIoctl.CREATE_PD) {
            return createPd(irp, user, in);
        }
        if (code == IbalUserIoctl.CREATE_CQ) {
            return createCq(irp, user, in);
        }
        if (code == IbalUserIoctl.CREATE_QP) {
            return createQp(irp, user, in);
        }
        if (code == IbalUserIoctl.MODIFY_QP) {
            return modifyQp(irp, user, in);
        }
        if (code == IbalUserIoctl.REG_MR) {
            return regMr(irp, user, in);
        }
        if (code == IbalUserIoctl.CREATE_AH) {
            return createAh(irp, user, in);
        }
        if (code == IbalUserIoctl.POLL_CQ) {
            return pollCq(irp, user, in);
        }
        if (code == IbalUserIoctl.POST_SEND) {
            return postSend(irp, user, in);
        }
        if (code == IbalUserIoctl.POST_RECV) {
            return postRecv(irp, user, in);
        }
        return destroy(irp, user, in, destroyedType(code));
    }

    private static int destroyedType(int code) {
        if (code == IbalUserIoctl.DESTROY_PD) {
            return Handle.PD;
        }
        if (code == IbalUserIoctl.DESTROY_CQ) {
            return Handle.CQ;
        }
        if (code == IbalUserIoctl.DESTROY_QP) {
            return Handle.QP;
        }
        if (code == IbalUserIoctl.DEREG_MR) {
            return Handle.MR;
        }
        return Handle.AH;
    }

    // ---- queries ----

    private int queryCas(Irp irp) {
        List<CiCa> cas = boundCas();
        int needed = UserRecords.QueryCasOut.HEADER_SIZE + cas.size() * UserRecords.Ca.SIZE;
        if (irp.currentLocation().outputLength() < needed) {
            irp.complete(NtStatus.BUFFER_TOO_SMALL, needed);
            return NtStatus.BUFFER_TOO_SMALL;
        }
        ByteBuffer out = output(irp);
        out.putInt(UserRecords.QueryCasOut.COUNT, cas.size()).putInt(UserRecords.QueryCasOut.RESERVED, 0);
        for (int i = 0; i < cas.size(); i++) {
            int at = UserRecords.QueryCasOut.HEADER_SIZE + i * UserRecords.Ca.SIZE;
            CaAttributes a = cas.get(i).attributes();
            out.putLong(at + UserRecords.Ca.NODE_GUID, a.nodeGuid())
                    .putLong(at + UserRecords.Ca.SYSTEM_IMAGE_GUID, a.systemImageGuid())
                    .putInt(at + UserRecords.Ca.PORT_COUNT, a.physicalPorts())
                    .putInt(at + UserRecords.Ca.VENDOR_ID, a.vendorId())
                    .putInt(at + UserRecords.Ca.VENDOR_PART_ID, a.vendorPartId())
                    .putInt(at + UserRecords.Ca.HARDWARE_VERSION, a.hardwareVersion());
            byte[] name = cas.get(i).name().getBytes(StandardCharsets.US_ASCII);
            for (int b = 0; b < UserRecords.Ca.NAME_LENGTH; b++) {
                out.put(at + UserRecords.Ca.NAME + b, b < Math.min(name.length, UserRecords.Ca.NAME_LENGTH - 1) ? name[b] : 0);
            }
        }
        irp.complete(NtStatus.SUCCESS, needed);
        return NtStatus.SUCCESS;
    }

    private int queryPort(Irp irp, UserFile user, ByteBuffer in) {
        CiCa ca = ca(in.getLong(UserRecords.QueryPortIn.CA_GUID));
        if (ca == null) {
            return complete(irp, NtStatus.NO_SUCH_DEVICE);
        }
        int port = in.getInt(UserRecords.QueryPortIn.PORT);
        if (port < 1 || port > ca.portCount()) {
            return complete(irp, NtStatus.invalidParameter(2));
        }
        if (in.getInt(UserRecords.QueryPortIn.RESERVED) != 0) {
            return complete(irp, NtStatus.invalidParameter(3));
        }
        VerbsRequest.QueryPort query = new VerbsRequest.QueryPort(port);
        return forward(irp, user, ca, query, out -> {
            PortAttributes p = query.result();
            if (out != null) {
                out.putInt(UserRecords.QueryPortOut.PORT, p.port())
                        .putInt(UserRecords.QueryPortOut.STATE, p.state().ordinal())
                        .putInt(UserRecords.QueryPortOut.LID, p.lid())
                        .putInt(UserRecords.QueryPortOut.SM_LID, p.smLid())
                        .putLong(UserRecords.QueryPortOut.PORT_GUID, p.portGuid())
                        .putLong(UserRecords.QueryPortOut.GID_PREFIX, p.gidPrefix())
                        .putInt(UserRecords.QueryPortOut.ACTIVE_MTU, p.activeMtu() == null ? 0 : p.activeMtu().bytes())
                        .putInt(UserRecords.QueryPortOut.MAX_MTU, p.maxMtu() == null ? 0 : p.maxMtu().bytes())
                        .putInt(UserRecords.QueryPortOut.CAPABILITY_MASK, p.capabilityMask())
                        .putInt(UserRecords.QueryPortOut.PHYSICAL_STATE, p.physicalState());
            }
            return UserRecords.QueryPortOut.SIZE;
        });
    }

    // ---- control verbs ----

    private int createPd(Irp irp, UserFile user, ByteBuffer in) {
        CiCa ca = ca(in.getLong(UserRecords.CreatePdIn.CA_GUID));
        if (ca == null) {
            return complete(irp, NtStatus.NO_SUCH_DEVICE);
        }
        VerbsRequest.AllocPd request = new VerbsRequest.AllocPd();
        return forward(irp, user, ca, request, out -> {
            long handle = user.add(Handle.PD, ca, request.result(), null);
            if (out != null) {
                out.putLong(UserRecords.HandleOut.HANDLE, handle);
            }
            return UserRecords.HandleOut.SIZE;
        });
    }

    private int createCq(Irp irp, UserFile user, ByteBuffer in) {
        CiCa ca = ca(in.getLong(UserRecords.CreateCqIn.CA_GUID));
        if (ca == null) {
            return complete(irp, NtStatus.NO_SUCH_DEVICE);
        }
        int entries = in.getInt(UserRecords.CreateCqIn.ENTRIES);
        if (entries < 1) {
            return complete(irp, NtStatus.invalidParameter(2));
        }
        if (in.getInt(UserRecords.CreateCqIn.RESERVED) != 0) {
            return complete(irp, NtStatus.invalidParameter(3));
        }
        VerbsRequest.CreateCq request = new VerbsRequest.CreateCq(entries);
        return forward(irp, user, ca, request, out -> {
            CompletionQueue cq = request.result();
            long handle = user.add(Handle.CQ, ca, cq, null);
            if (out != null) {
                out.putLong(UserRecords.CreateCqOut.HANDLE, handle).putInt(UserRecords.CreateCqOut.ENTRIES, cq.capacity())
                        .putInt(UserRecords.CreateCqOut.RESERVED, 0);
            }
            return UserRecords.CreateCqOut.SIZE;
        });
    }

    private int createQp(Irp irp, UserFile user, ByteBuffer in) {
        int[] status = new int[1];
        UserFile.Entry pd = user.lookup(in.getLong(UserRecords.CreateQpIn.PD), Handle.PD, status);
        if (pd == null) {
            return complete(irp, status[0]);
        }
        UserFile.Entry sendCq = user.lookup(in.getLong(UserRecords.CreateQpIn.SEND_CQ), Handle.CQ, status);
        if (sendCq == null) {
            return complete(irp, status[0]);
        }
        if (sendCq.ca() != pd.ca()) {
            return complete(irp, NtStatus.invalidParameter(2));
        }
        UserFile.Entry recvCq = user.lookup(in.getLong(UserRecords.CreateQpIn.RECV_CQ), Handle.CQ, status);
        if (recvCq == null) {
            return complete(irp, status[0]);
        }
        if (recvCq.ca() != pd.ca()) {
            return complete(irp, NtStatus.invalidParameter(3));
        }
        int type = in.getInt(UserRecords.CreateQpIn.TYPE);
        if (type != UserRecords.CreateQpIn.TYPE_RC && type != UserRecords.CreateQpIn.TYPE_UD) {
            return complete(irp, NtStatus.invalidParameter(4));
        }
        int[] limits = {in.getInt(UserRecords.CreateQpIn.MAX_SEND_WR), in.getInt(UserRecords.CreateQpIn.MAX_RECV_WR),
            in.getInt(UserRecords.CreateQpIn.MAX_SGE), in.getInt(UserRecords.CreateQpIn.MAX_INLINE_DATA)};
        for (int i = 0; i < limits.length; i++) {
            if (limits[i] < 0) { // above 2^31 as a u32: no HCA has that many
                return complete(irp, NtStatus.invalidParameter(5 + i));
            }
        }
        int flags = in.getInt(UserRecords.CreateQpIn.FLAGS);
        if ((flags & ~UserRecords.CreateQpIn.FLAG_SIGNAL_ALL) != 0) {
            return complete(irp, NtStatus.invalidParameter(9));
        }
        CiCa ca = pd.ca();
        VerbsRequest.CreateQp request = new VerbsRequest.CreateQp((ProtectionDomain) pd.object(),
                type == UserRecords.CreateQpIn.TYPE_RC ? QpType.RC : QpType.UD, (CompletionQueue) sendCq.object(),
                (CompletionQueue) recvCq.object(), limits[0], limits[1], limits[2], limits[3],
                (flags & UserRecords.CreateQpIn.FLAG_SIGNAL_ALL) != 0);
        return forward(irp, user, ca, request, out -> {
            QueuePair qp = request.result();
            long handle = user.add(Handle.QP, ca, qp, null);
            if (out != null) {
                out.putLong(UserRecords.CreateQpOut.HANDLE, handle).putInt(UserRecords.CreateQpOut.QP_NUMBER, qp.number())
                        .putInt(UserRecords.CreateQpOut.RESERVED, 0);
            }
            return UserRecords.CreateQpOut.SIZE;
        });
    }

    private int modifyQp(Irp irp, UserFile user, ByteBuffer in) {
        int[] status = new int[1];
        UserFile.Entry qp = user.lookup(in.getLong(UserRecords.ModifyQpIn.QP), Handle.QP, status);
        if (qp == null) {
            return complete(irp, status[0]);
        }
        QpAttributes a = new QpAttributes();
        a.mask = in.getInt(UserRecords.ModifyQpIn.MASK);
        if ((a.mask & ~ALL_QP_ATTRIBUTES) != 0) {
            return complete(irp, NtStatus.invalidParameter(2));
        }
        int state = in.getInt(UserRecords.ModifyQpIn.STATE);
        if (a.has(QpAttributes.STATE)) {
            if (state < 0 || state >= QpState.values().length) {
                return complete(irp, NtStatus.invalidParameter(3));
            }
            a.state = QpState.values()[state];
        }
        a.accessFlags = in.getInt(UserRecords.ModifyQpIn.ACCESS_FLAGS);
        if (a.has(QpAttributes.ACCESS_FLAGS) && AccessFlags.invalidReason(a.accessFlags) != null) {
            return complete(irp, NtStatus.invalidParameter(4));
        }
        a.pkeyIndex = in.getInt(UserRecords.ModifyQpIn.PKEY_INDEX);
        a.port = in.getInt(UserRecords.ModifyQpIn.PORT);
        if (a.has(QpAttributes.PORT) && (a.port < 1 || a.port > qp.ca().portCount())) {
            return complete(irp, NtStatus.invalidParameter(6));
        }
        a.qkey = in.getInt(UserRecords.ModifyQpIn.QKEY);
        a.destLid = in.getInt(UserRecords.ModifyQpIn.DEST_LID);
        a.serviceLevel = in.getInt(UserRecords.ModifyQpIn.SERVICE_LEVEL);
        int mtu = in.getInt(UserRecords.ModifyQpIn.PATH_MTU);
        if (a.has(QpAttributes.PATH_MTU)) {
            a.pathMtu = mtuOf(mtu);
            if (a.pathMtu == null) {
                return complete(irp, NtStatus.invalidParameter(10));
            }
        }
        a.timeout = in.getInt(UserRecords.ModifyQpIn.TIMEOUT);
        a.retryCount = in.getInt(UserRecords.ModifyQpIn.RETRY_COUNT);
        a.rnrRetry = in.getInt(UserRecords.ModifyQpIn.RNR_RETRY);
        a.rqPsn = in.getInt(UserRecords.ModifyQpIn.RQ_PSN);
        a.sqPsn = in.getInt(UserRecords.ModifyQpIn.SQ_PSN);
        a.maxReadAtomic = in.getInt(UserRecords.ModifyQpIn.MAX_RD_ATOMIC);
        a.maxDestReadAtomic = in.getInt(UserRecords.ModifyQpIn.MAX_DEST_RD_ATOMIC);
        a.minRnrTimer = in.getInt(UserRecords.ModifyQpIn.MIN_RNR_TIMER);
        a.destQpn = in.getInt(UserRecords.ModifyQpIn.DEST_QPN);
        // the ranges of the numeric attributes and the transition's required set are the HCA's to check
        return forward(irp, user, qp.ca(), new VerbsRequest.ModifyQp((QueuePair) qp.object(), a), NOTHING);
    }

    private static Mtu mtuOf(int bytes) {
        for (Mtu m : Mtu.values()) {
            if (m.bytes() == bytes) {
                return m;
            }
        }
        return null;
    }

    private int regMr(Irp irp, UserFile user, ByteBuffer in) {
        int[] status = new int[1];
        UserFile.Entry pd = user.lookup(in.getLong(UserRecords.RegMrIn.PD), Handle.PD, status);
        if (pd == null) {
            return complete(irp, status[0]);
        }
        long address = in.getLong(UserRecords.RegMrIn.ADDRESS);
        long length = in.getLong(UserRecords.RegMrIn.LENGTH);
        if (length < 1 || length > UserRecords.RegMrIn.MAX_LENGTH) {
            return complete(irp, NtStatus.invalidParameter(3));
        }
        if (Long.compareUnsigned(address, -1L - length + 1) > 0) {
            return complete(irp, NtStatus.invalidParameter(2)); // the range would wrap past 2^64
        }
        int access = in.getInt(UserRecords.RegMrIn.ACCESS);
        if (AccessFlags.invalidReason(access) != null) {
            return complete(irp, NtStatus.invalidParameter(4));
        }
        if (in.getInt(UserRecords.RegMrIn.RESERVED) != 0) {
            return complete(irp, NtStatus.invalidParameter(5));
        }
        // Stands for probing and locking the caller's pages (MmProbeAndLockPages) and mapping them
        // for the HCA: a process's memory cannot cross into this JVM as a buffer, so IBAL pins a
        // region of its own on the file's behalf, registered at the caller's virtual address; the
        // file's table keeps it alive until DEREG_MR or the file's close.
        ByteBuffer memory = ByteBuffer.allocate((int) length);
        CiCa ca = pd.ca();
        VerbsRequest.RegMr request = new VerbsRequest.RegMr((ProtectionDomain) pd.object(), memory, address, access);
        return forward(irp, user, ca, request, out -> {
            MemoryRegion mr = request.result();
            long handle = user.add(Handle.MR, ca, mr, memory);
            if (out != null) {
                out.putLong(UserRecords.RegMrOut.HANDLE, handle).putInt(UserRecords.RegMrOut.LKEY, mr.lkey())
                        .putInt(UserRecords.RegMrOut.RKEY, mr.rkey());
            }
            return UserRecords.RegMrOut.SIZE;
        });
    }

    private int createAh(Irp irp, UserFile user, ByteBuffer in) {
        int[] status = new int[1];
        UserFile.Entry pd = user.lookup(in.getLong(UserRecords.CreateAhIn.PD), Handle.PD, status);
        if (pd == null) {
            return complete(irp, status[0]);
        }
        int port = in.getInt(UserRecords.CreateAhIn.PORT);
        if (port < 1 || port > pd.ca().portCount()) {
            return complete(irp, NtStatus.invalidParameter(2));
        }
        int lid = in.getInt(UserRecords.CreateAhIn.DEST_LID);
        if (lid < 1 || lid > 0xFFFF) {
            return complete(irp, NtStatus.invalidParameter(3));
        }
        int sl = in.getInt(UserRecords.CreateAhIn.SERVICE_LEVEL);
        if (sl < 0 || sl > 15) {
            return complete(irp, NtStatus.invalidParameter(4));
        }
        if (in.getInt(UserRecords.CreateAhIn.RESERVED) != 0) {
            return complete(irp, NtStatus.invalidParameter(5));
        }
        CiCa ca = pd.ca();
        VerbsRequest.CreateAh request = new VerbsRequest.CreateAh((ProtectionDomain) pd.object(), port, lid, sl);
        return forward(irp, user, ca, request, out -> {
            long handle = user.add(Handle.AH, ca, request.result(), null);
            if (out != null) {
                out.putLong(UserRecords.HandleOut.HANDLE, handle);
            }
            return UserRecords.HandleOut.SIZE;
        });
    }

    private int destroy(Irp irp, UserFile user, ByteBuffer in, int type) {
        long handle = in.getLong(UserRecords.DestroyIn.HANDLE);
        int[] status = new int[1];
        UserFile.Entry e = user.lookup(handle, type, status);
        if (e == null) {
            return complete(irp, status[0]);
        }
        return forward(irp, user, e.ca(), new VerbsRequest.Destroy(e.object()), out -> {
            user.remove(handle);
            return 0;
        });
    }

    /**
     * Admits {@code request} in the file's tree on {@code ca}, keeps the caller's request pending
     * in the cancel-safe queue (CLEANUP cancels it there) and sends the verb to the HCA in a new
     * request; its completion settles the tree, lets {@code answer} record the result, and
     * completes the caller's request if it is still waiting.
     */
    private int forward(Irp irp, UserFile user, CiCa ca, VerbsRequest<?> request, Answer answer) {
        if (ca.state() != IbalCa.State.BOUND) {
            return complete(irp, NtStatus.DEVICE_REMOVED);
        }
        ObjectTree tree = user.tree(ca);
        if (tree == null) {
            return complete(irp, NtStatus.DELETE_PENDING);
        }
        ObjectTree.Admission admission = tree.admit(request);
        if (!admission.admitted()) {
            return complete(irp, admission.status);
        }
        int queued = pending.insert(irp);
        if (queued != NtStatus.PENDING) {
            tree.settle(request, admission, NtStatus.CANCELLED); // cancelled before it went anywhere
            return queued;
        }
        IrpCompletionListener answered = done -> {
            int status = done.status();
            Irp caller = pending.remove(irp);
            // the table first, then the tree: settling may let the file's CLEANUP run, which then
            // finds the new handle. A create whose caller was cancelled still records its object,
            // and the CLEANUP destroys it with the rest.
            int bytes = NtStatus.isSuccess(status) ? answer.write(caller == null ? null : output(caller)) : 0;
            tree.settle(request, admission, status);
            if (caller != null) {
                caller.complete(status, bytes);
            }
        };
        // legacy mode: issued from IBAL's worker at PASSIVE, as a port child's verbs are
        LegacyWorkers legacy = core.legacyWorkers();
        if (legacy == null) {
            HcaRequests.send(io, ca.hca, request, answered);
        } else {
            legacy.send(LegacyWorkers.roleOf(request), io, ca.hca, request, answered);
        }
        return NtStatus.PENDING;
    }

    // ---- the speed path ----

    private int pollCq(Irp irp, UserFile user, ByteBuffer in) {
        int max = in.getInt(UserRecords.PollCqIn.MAX_ENTRIES);
        if (max < 1 || max > UserRecords.PollCqIn.MAX_ENTRIES_LIMIT) {
            return complete(irp, NtStatus.invalidParameter(2));
        }
        int needed = UserRecords.PollCqOut.size(max);
        if (irp.currentLocation().outputLength() < needed) {
            // before polling: completions taken from the CQ could not be handed back
            irp.complete(NtStatus.BUFFER_TOO_SMALL, needed);
            return NtStatus.BUFFER_TOO_SMALL;
        }
        int[] status = new int[1];
        UserFile.Entry cq = user.lookup(in.getLong(UserRecords.PollCqIn.CQ), Handle.CQ, status);
        if (cq == null) {
            return complete(irp, status[0]);
        }
        if (in.getInt(UserRecords.PollCqIn.RESERVED) != 0) {
            return complete(irp, NtStatus.invalidParameter(3));
        }
        VerbsSpeedPath speed = cq.ca().speedPath();
        if (speed == null || cq.ca().state() != IbalCa.State.BOUND) {
            return complete(irp, NtStatus.DEVICE_REMOVED);
        }
        WorkCompletion[] wcs = new WorkCompletion[max];
        for (int i = 0; i < max; i++) {
            wcs[i] = new WorkCompletion();
        }
        int n = speed.pollCq((CompletionQueue) cq.object(), wcs, max);
        if (n < 0) {
            return complete(irp, NtStatus.INVALID_HANDLE); // destroyed by a request racing this one
        }
        ByteBuffer out = output(irp);
        out.putInt(UserRecords.PollCqOut.COUNT, n).putInt(UserRecords.PollCqOut.RESERVED, 0);
        for (int i = 0; i < n; i++) {
            WorkCompletion wc = wcs[i];
            int at = UserRecords.PollCqOut.HEADER_SIZE + i * UserRecords.WorkCompletionRecord.SIZE;
            int flags = (wc.hasImmediate ? UserRecords.WorkCompletionRecord.FLAG_IMMEDIATE : 0)
                    | (wc.grhPresent ? UserRecords.WorkCompletionRecord.FLAG_GRH : 0);
            out.putLong(at + UserRecords.WorkCompletionRecord.WR_ID, wc.wrId)
                    .putInt(at + UserRecords.WorkCompletionRecord.STATUS, wc.status.ordinal())
                    .putInt(at + UserRecords.WorkCompletionRecord.OPCODE, wc.opcode.ordinal())
                    .putInt(at + UserRecords.WorkCompletionRecord.BYTE_LENGTH, wc.byteLength)
                    .putInt(at + UserRecords.WorkCompletionRecord.FLAGS, flags)
                    .putInt(at + UserRecords.WorkCompletionRecord.IMMEDIATE_DATA, wc.immediateData)
                    .putInt(at + UserRecords.WorkCompletionRecord.QP_NUMBER, wc.qpNumber)
                    .putInt(at + UserRecords.WorkCompletionRecord.SOURCE_QP, wc.sourceQp)
                    .putInt(at + UserRecords.WorkCompletionRecord.SOURCE_LID, wc.sourceLid)
                    .putInt(at + UserRecords.WorkCompletionRecord.VENDOR_ERROR, wc.vendorError)
                    .putInt(at + UserRecords.WorkCompletionRecord.RESERVED, 0);
        }
        int bytes = UserRecords.PollCqOut.size(n);
        irp.complete(NtStatus.SUCCESS, bytes);
        return NtStatus.SUCCESS;
    }

    private int postSend(Irp irp, UserFile user, ByteBuffer in) {
        int[] status = new int[1];
        UserFile.Entry qp = user.lookup(in.getLong(UserRecords.PostSendIn.QP), Handle.QP, status);
        if (qp == null) {
            return complete(irp, status[0]);
        }
        SendWorkRequest wr = new SendWorkRequest();
        wr.wrId = in.getLong(UserRecords.PostSendIn.WR_ID);
        int opcode = in.getInt(UserRecords.PostSendIn.OPCODE);
        if (opcode < 0 || opcode >= WrOpcode.values().length) {
            return complete(irp, NtStatus.invalidParameter(3));
        }
        wr.opcode = WrOpcode.values()[opcode];
        wr.flags = in.getInt(UserRecords.PostSendIn.FLAGS);
        if ((wr.flags & ~SEND_FLAGS) != 0) {
            return complete(irp, NtStatus.invalidParameter(4));
        }
        int length = in.getInt(UserRecords.PostSendIn.LENGTH);
        if (length < 0) {
            return complete(irp, NtStatus.invalidParameter(6));
        }
        if (length > 0) {
            wr.sgl.add(in.getLong(UserRecords.PostSendIn.LOCAL_ADDRESS), length, in.getInt(UserRecords.PostSendIn.LKEY));
        }
        long ahHandle = in.getLong(UserRecords.PostSendIn.AH);
        if (ahHandle != 0) {
            UserFile.Entry ah = user.lookup(ahHandle, Handle.AH, status);
            if (ah == null) {
                return complete(irp, status[0]);
            }
            if (ah.ca() != qp.ca()) {
                return complete(irp, NtStatus.invalidParameter(8));
            }
            wr.addressHandle = (AddressHandle) ah.object();
        }
        wr.remoteQpn = in.getInt(UserRecords.PostSendIn.REMOTE_QPN);
        wr.remoteQkey = in.getInt(UserRecords.PostSendIn.REMOTE_QKEY);
        wr.remoteAddress = in.getLong(UserRecords.PostSendIn.REMOTE_ADDRESS);
        wr.rkey = in.getInt(UserRecords.PostSendIn.RKEY);
        wr.immediateData = in.getInt(UserRecords.PostSendIn.IMMEDIATE_DATA);
        VerbsSpeedPath speed = qp.ca().speedPath();
        if (speed == null || qp.ca().state() != IbalCa.State.BOUND) {
            return complete(irp, NtStatus.DEVICE_REMOVED);
        }
        // the HCA's own answer: INVALID_PARAMETER, INSUFFICIENT_RESOURCES (queue full), INVALID_DEVICE_STATE
        return complete(irp, speed.postSend((QueuePair) qp.object(), wr));
    }

    private int postRecv(Irp irp, UserFile user, ByteBuffer in) {
        int[] status = new int[1];
        UserFile.Entry qp = user.lookup(in.getLong(UserRecords.PostRecvIn.QP), Handle.QP, status);
        if (qp == null) {
            return complete(irp, status[0]);
        }
        ReceiveWorkRequest wr = new ReceiveWorkRequest();
        wr.wrId = in.getLong(UserRecords.PostRecvIn.WR_ID);
        int length = in.getInt(UserRecords.PostRecvIn.LENGTH);
        if (length < 0) {
            return complete(irp, NtStatus.invalidParameter(4));
        }
        if (length > 0) {
            wr.sgl.add(in.getLong(UserRecords.PostRecvIn.LOCAL_ADDRESS), length, in.getInt(UserRecords.PostRecvIn.LKEY));
        }
        VerbsSpeedPath speed = qp.ca().speedPath();
        if (speed == null || qp.ca().state() != IbalCa.State.BOUND) {
            return complete(irp, NtStatus.DEVICE_REMOVED);
        }
        return complete(irp, speed.postReceive((QueuePair) qp.object(), wr));
    }

    // ---- helpers ----

    /** The bound CA whose node GUID is {@code guid}, or null. */
    private CiCa ca(long guid) {
        for (CiCa ca : boundCas()) {
            if (ca.attributes().nodeGuid() == guid) {
                return ca;
            }
        }
        return null;
    }

    private List<CiCa> boundCas() {
        List<CiCa> out = new ArrayList<>();
        for (IbalCa ca : core.cas()) {
            if (ca.state() == IbalCa.State.BOUND && ca.attributes() != null) {
                out.add((CiCa) ca);
            }
        }
        return out;
    }

    private static ByteBuffer output(Irp irp) {
        ByteBuffer out = irp.currentLocation().outputBuffer();
        return out == null ? ByteBuffer.allocate(0) : out.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int complete(Irp irp, int status) {
        irp.complete(status);
        return status;
    }
}
