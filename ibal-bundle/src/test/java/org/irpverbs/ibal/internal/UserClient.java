package org.irpverbs.ibal.internal;

import static org.junit.Assert.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.irpverbs.hca.core.testing.HcaTestRig;
import org.irpverbs.ibal.user.IbalUserIoctl;
import org.irpverbs.ibal.user.UserRecords;
import org.irpverbs.irp.DeviceObject;
import org.irpverbs.irp.FileObject;
import org.irpverbs.irp.IoManager;
import org.irpverbs.irp.IoResult;
import org.irpverbs.irp.IoctlCode;
import org.irpverbs.irp.NtStatus;
import org.irpverbs.irp.RequestorMode;
import org.irpverbs.verbs.QpAttributes;
import org.osgi.util.promise.Promise;

/**
 * A user-mode client of IBAL's device as an out-of-process one would be: it knows only the IOCTL
 * codes and the byte layouts of {@code org.irpverbs.ibal.user}, builds little-endian records and
 * reads the answers out of the returned bytes. Each call waits for the request's completion (the
 * test's thread is PASSIVE).
 *
 * <p>Not thread-safe: one per opener, used from the test's thread.
 */
final class UserClient {
    final IoManager io;
    final Object owner;
    final FileObject file;

    private UserClient(IoManager io, Object owner, FileObject file) {
        this.io = io;
        this.owner = owner;
        this.file = file;
    }

    static UserClient open(IoManager io, DeviceObject ibal, String owner, int access) {
        FileObject file = HcaTestRig.await(io.open(ibal, access, RequestorMode.USER, owner), "opening IBAL for " + owner);
        return new UserClient(io, owner, file);
    }

    static UserClient open(IoManager io, DeviceObject ibal, String owner) {
        return open(io, ibal, owner, IoctlCode.FILE_READ_ACCESS | IoctlCode.FILE_WRITE_ACCESS);
    }

    void close() {
        HcaTestRig.await(io.close(file), "closing " + owner + "'s file");
    }

    // ---- raw requests ----

    Promise<IoResult> send(int code, ByteBuffer in, int outputLength) {
        return io.deviceIoControl(owner, file, code, in, outputLength);
    }

    IoResult call(int code, ByteBuffer in, int outputLength) {
        return HcaTestRig.await(send(code, in, outputLength), IbalUserIoctl.name(code));
    }

    /** The answer's status, by name (so a failing assertion says which). */
    static String status(IoResult r) {
        return NtStatus.name(r.status());
    }

    /** The request's output as a little-endian buffer; fails unless it succeeded. */
    static ByteBuffer ok(IoResult r, String what) {
        assertEquals(what, NtStatus.name(NtStatus.SUCCESS), status(r));
        return r.output().order(ByteOrder.LITTLE_ENDIAN);
    }

    static ByteBuffer record(int size) {
        return UserRecords.allocate(size);
    }

    // ---- the operations ----

    /** QUERY_CAS: the CAs as (node GUID, port count, name). */
    record Ca(long guid, int ports, String name) {
    }

    Ca[] queryCas() {
        ByteBuffer out = ok(call(IbalUserIoctl.QUERY_CAS, null, 1024), "QUERY_CAS");
        int n = out.getInt(UserRecords.QueryCasOut.COUNT);
        assertEquals("bytes returned", UserRecords.QueryCasOut.HEADER_SIZE + n * UserRecords.Ca.SIZE, out.remaining());
        Ca[] cas = new Ca[n];
        for (int i = 0; i < n; i++) {
            int at = UserRecords.QueryCasOut.HEADER_SIZE + i * UserRecords.Ca.SIZE;
            byte[] name = new byte[UserRecords.Ca.NAME_LENGTH];
            out.get(at + UserRecords.Ca.NAME, name);
            int len = 0;
            while (len < name.length && name[len] != 0) {
                len++;
            }
            cas[i] = new Ca(out.getLong(at + UserRecords.Ca.NODE_GUID), out.getInt(at + UserRecords.Ca.PORT_COUNT),
                    new String(name, 0, len, StandardCharsets.US_ASCII));
        }
        return cas;
    }

    ByteBuffer queryPortIn(long ca, int port) {
        return record(UserRecords.QueryPortIn.SIZE).putLong(UserRecords.QueryPortIn.CA_GUID, ca)
                .putInt(UserRecords.QueryPortIn.PORT, port);
    }

    ByteBuffer queryPort(long ca, int port) {
        return ok(call(IbalUserIoctl.QUERY_PORT, queryPortIn(ca, port), UserRecords.QueryPortOut.SIZE), "QUERY_PORT");
    }

    static ByteBuffer caIn(long ca) {
        return record(UserRecords.CreatePdIn.SIZE).putLong(UserRecords.CreatePdIn.CA_GUID, ca);
    }

    long createPd(long ca) {
        return ok(call(IbalUserIoctl.CREATE_PD, caIn(ca), UserRecords.HandleOut.SIZE), "CREATE_PD")
                .getLong(UserRecords.HandleOut.HANDLE);
    }

    static ByteBuffer cqIn(long ca, int entries) {
        return record(UserRecords.CreateCqIn.SIZE).putLong(UserRecords.CreateCqIn.CA_GUID, ca)
                .putInt(UserRecords.CreateCqIn.ENTRIES, entries);
    }

    long createCq(long ca, int entries) {
        return ok(call(IbalUserIoctl.CREATE_CQ, cqIn(ca, entries), UserRecords.CreateCqOut.SIZE), "CREATE_CQ")
                .getLong(UserRecords.CreateCqOut.HANDLE);
    }

    static ByteBuffer qpIn(long pd, long sendCq, long recvCq, int type) {
        return record(UserRecords.CreateQpIn.SIZE).putLong(UserRecords.CreateQpIn.PD, pd)
                .putLong(UserRecords.CreateQpIn.SEND_CQ, sendCq).putLong(UserRecords.CreateQpIn.RECV_CQ, recvCq)
                .putInt(UserRecords.CreateQpIn.TYPE, type).putInt(UserRecords.CreateQpIn.MAX_SEND_WR, 8)
                .putInt(UserRecords.CreateQpIn.MAX_RECV_WR, 8).putInt(UserRecords.CreateQpIn.MAX_SGE, 1)
                .putInt(UserRecords.CreateQpIn.FLAGS, UserRecords.CreateQpIn.FLAG_SIGNAL_ALL);
    }

    /** CREATE_QP: {handle, QP number}. */
    long[] createQp(long pd, long cq, int type) {
        ByteBuffer out = ok(call(IbalUserIoctl.CREATE_QP, qpIn(pd, cq, cq, type), UserRecords.CreateQpOut.SIZE),
                "CREATE_QP");
        return new long[] {out.getLong(UserRecords.CreateQpOut.HANDLE), out.getInt(UserRecords.CreateQpOut.QP_NUMBER)};
    }

    /** A MODIFY_QP record to {@code state} (a QpState ordinal) with the mask's attributes left 0. */
    static ByteBuffer modifyIn(long qp, int mask, int state) {
        return record(UserRecords.ModifyQpIn.SIZE).putLong(UserRecords.ModifyQpIn.QP, qp)
                .putInt(UserRecords.ModifyQpIn.MASK, mask | QpAttributes.STATE).putInt(UserRecords.ModifyQpIn.STATE, state);
    }

    int modify(ByteBuffer in) {
        return call(IbalUserIoctl.MODIFY_QP, in, 0).status();
    }

    static ByteBuffer mrIn(long pd, long address, long length, int access) {
        return record(UserRecords.RegMrIn.SIZE).putLong(UserRecords.RegMrIn.PD, pd)
                .putLong(UserRecords.RegMrIn.ADDRESS, address).putLong(UserRecords.RegMrIn.LENGTH, length)
                .putInt(UserRecords.RegMrIn.ACCESS, access);
    }

    /** REG_MR: {handle, lkey, rkey}. */
    long[] regMr(long pd, long address, long length, int access) {
        ByteBuffer out = ok(call(IbalUserIoctl.REG_MR, mrIn(pd, address, length, access), UserRecords.RegMrOut.SIZE),
                "REG_MR");
        return new long[] {out.getLong(UserRecords.RegMrOut.HANDLE), out.getInt(UserRecords.RegMrOut.LKEY),
            out.getInt(UserRecords.RegMrOut.RKEY)};
    }

    static ByteBuffer ahIn(long pd, int port, int lid, int sl) {
        return record(UserRecords.CreateAhIn.SIZE).putLong(UserRecords.CreateAhIn.PD, pd)
                .putInt(UserRecords.CreateAhIn.PORT, port).putInt(UserRecords.CreateAhIn.DEST_LID, lid)
                .putInt(UserRecords.CreateAhIn.SERVICE_LEVEL, sl);
    }

    long createAh(long pd, int port, int lid) {
        return ok(call(IbalUserIoctl.CREATE_AH, ahIn(pd, port, lid, 0), UserRecords.HandleOut.SIZE), "CREATE_AH")
                .getLong(UserRecords.HandleOut.HANDLE);
    }

    static ByteBuffer handleIn(long handle) {
        return record(UserRecords.DestroyIn.SIZE).putLong(UserRecords.DestroyIn.HANDLE, handle);
    }

    int destroy(int code, long handle) {
        return call(code, handleIn(handle), 0).status();
    }

    static ByteBuffer pollIn(long cq, int max) {
        return record(UserRecords.PollCqIn.SIZE).putLong(UserRecords.PollCqIn.CQ, cq)
                .putInt(UserRecords.PollCqIn.MAX_ENTRIES, max);
    }

    /** POLL_CQ for up to {@code max}: the output (header and records). */
    ByteBuffer poll(long cq, int max) {
        return ok(call(IbalUserIoctl.POLL_CQ, pollIn(cq, max), UserRecords.PollCqOut.size(max)), "POLL_CQ");
    }

    /** Polls until one completion comes (the HCA's engines run on their own), within the liveness bound. */
    ByteBuffer pollOne(long cq, String what) {
        ByteBuffer[] got = new ByteBuffer[1];
        IbalRig.eventually(() -> {
            ByteBuffer out = poll(cq, 1);
            if (out.getInt(UserRecords.PollCqOut.COUNT) == 1) {
                got[0] = out.position(UserRecords.PollCqOut.HEADER_SIZE).slice().order(ByteOrder.LITTLE_ENDIAN);
                return true;
            }
            return false;
        }, what);
        return got[0];
    }

    static ByteBuffer sendIn(long qp, long wrId, int opcode, long address, int length, int lkey) {
        return record(UserRecords.PostSendIn.SIZE).putLong(UserRecords.PostSendIn.QP, qp)
                .putLong(UserRecords.PostSendIn.WR_ID, wrId).putInt(UserRecords.PostSendIn.OPCODE, opcode)
                .putLong(UserRecords.PostSendIn.LOCAL_ADDRESS, address).putInt(UserRecords.PostSendIn.LENGTH, length)
                .putInt(UserRecords.PostSendIn.LKEY, lkey);
    }

    int postSend(ByteBuffer in) {
        return call(IbalUserIoctl.POST_SEND, in, 0).status();
    }

    static ByteBuffer recvIn(long qp, long wrId, long address, int length, int lkey) {
        return record(UserRecords.PostRecvIn.SIZE).putLong(UserRecords.PostRecvIn.QP, qp)
                .putLong(UserRecords.PostRecvIn.WR_ID, wrId).putLong(UserRecords.PostRecvIn.LOCAL_ADDRESS, address)
                .putInt(UserRecords.PostRecvIn.LENGTH, length).putInt(UserRecords.PostRecvIn.LKEY, lkey);
    }

    int postRecv(long qp, long wrId, long address, int length, int lkey) {
        return call(IbalUserIoctl.POST_RECV, recvIn(qp, wrId, address, length, lkey), 0).status();
    }
}
