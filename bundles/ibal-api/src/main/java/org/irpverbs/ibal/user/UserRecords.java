package org.irpverbs.ibal.user;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The byte layouts of the records {@link IbalUserIoctl}'s IOCTLs take and return: little-endian,
 * fixed sizes, offsets in bytes from the start of the buffer. {@code u32} fields are unsigned
 * 32-bit, {@code u64} unsigned 64-bit; a reserved field must be 0. Fields are numbered from 1 in
 * record order (the {@code F_} constants): a bad value of field n fails with
 * {@code STATUS_INVALID_PARAMETER_n} (NtStatus.invalidParameter(n)).
 *
 * <p>Length checks, in this order, before anything is done: an input shorter than the record →
 * {@code STATUS_INFO_LENGTH_MISMATCH}; longer → {@code STATUS_INVALID_BUFFER_SIZE}; an output
 * buffer shorter than the output record (for POLL_CQ: the header and {@code maxEntries} records,
 * for QUERY_CAS: the header and one record per CA) → {@code STATUS_BUFFER_TOO_SMALL} with the
 * length needed as the request's information. A longer output buffer is fine; the information
 * says how many bytes were written.
 *
 * <p>Thread-safe: constants only.
 */
public final class UserRecords {
    private UserRecords() {}

    /** A zeroed little-endian buffer of {@code size} bytes, for building an input record. */
    public static ByteBuffer allocate(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Handles: opaque u64 values, meaningful only to the file object that created them (another
     * file object's handle is {@code STATUS_INVALID_HANDLE}: it names nothing in this one's table).
     * The top byte is the object's type, so a handle of the wrong type is recognised
     * ({@code STATUS_OBJECT_TYPE_MISMATCH}); the rest is IBAL's to choose. 0 is never a handle.
     */
    public static final class Handle {
        private Handle() {}

        public static final int TYPE_SHIFT = 56;
        public static final int PD = 1;
        public static final int CQ = 2;
        public static final int QP = 3;
        public static final int MR = 4;
        public static final int AH = 5;

        /** The type byte of a handle. */
        public static int type(long handle) {
            return (int) (handle >>> TYPE_SHIFT);
        }

        public static String typeName(int type) {
            return switch (type) {
                case PD -> "PD";
                case CQ -> "CQ";
                case QP -> "QP";
                case MR -> "MR";
                case AH -> "AH";
                default -> "type " + type;
            };
        }
    }

    /** QUERY_CAS: no input (0 bytes); output a header and one {@link Ca} record per bound CA. */
    public static final class QueryCasOut {
        private QueryCasOut() {}

        public static final int HEADER_SIZE = 8;
        /** u32: how many CA records follow. */
        public static final int COUNT = 0;
        /** u32 reserved, 0. */
        public static final int RESERVED = 4;
    }

    /** One CA in QUERY_CAS' output, at {@code QueryCasOut.HEADER_SIZE + i * Ca.SIZE}. */
    public static final class Ca {
        private Ca() {}

        public static final int SIZE = 64;
        /** u64: the node GUID, which names the CA in every later request. */
        public static final int NODE_GUID = 0;
        public static final int SYSTEM_IMAGE_GUID = 8;
        /** u32: number of physical ports (numbered 1..n). */
        public static final int PORT_COUNT = 16;
        public static final int VENDOR_ID = 20;
        public static final int VENDOR_PART_ID = 24;
        public static final int HARDWARE_VERSION = 28;
        /** 32 bytes: the CA's name in US-ASCII, padded with NULs (at most 31 characters kept). */
        public static final int NAME = 32;
        public static final int NAME_LENGTH = 32;
    }

    /** QUERY_PORT input. */
    public static final class QueryPortIn {
        private QueryPortIn() {}

        public static final int SIZE = 16;
        /** u64, field 1: the CA's node GUID (unknown: STATUS_NO_SUCH_DEVICE). */
        public static final int CA_GUID = 0;
        /** u32, field 2: port number, 1..PORT_COUNT. */
        public static final int PORT = 8;
        /** u32, field 3: reserved, 0. */
        public static final int RESERVED = 12;
    }

    /** QUERY_PORT output. */
    public static final class QueryPortOut {
        private QueryPortOut() {}

        public static final int SIZE = 48;
        public static final int PORT = 0;
        /** u32: 0 DOWN, 1 INIT, 2 ARMED, 3 ACTIVE. */
        public static final int STATE = 4;
        public static final int LID = 8;
        public static final int SM_LID = 12;
        /** u64. */
        public static final int PORT_GUID = 16;
        /** u64. */
        public static final int GID_PREFIX = 24;
        /** u32: bytes (256..4096). */
        public static final int ACTIVE_MTU = 32;
        public static final int MAX_MTU = 36;
        public static final int CAPABILITY_MASK = 40;
        /** u32: PortPhysicalState (5 LinkUp), 0 if unknown. */
        public static final int PHYSICAL_STATE = 44;
    }

    /** CREATE_PD input. */
    public static final class CreatePdIn {
        private CreatePdIn() {}

        public static final int SIZE = 8;
        /** u64, field 1: the CA's node GUID. */
        public static final int CA_GUID = 0;
    }

    /** The output of CREATE_PD and CREATE_AH: the new handle. */
    public static final class HandleOut {
        private HandleOut() {}

        public static final int SIZE = 8;
        public static final int HANDLE = 0;
    }

    /** The input of DESTROY_PD, DESTROY_CQ, DESTROY_QP, DEREG_MR and DESTROY_AH; no output. */
    public static final class DestroyIn {
        private DestroyIn() {}

        public static final int SIZE = 8;
        /** u64, field 1. */
        public static final int HANDLE = 0;
    }

    /** CREATE_CQ input. */
    public static final class CreateCqIn {
        private CreateCqIn() {}

        public static final int SIZE = 16;
        /** u64, field 1. */
        public static final int CA_GUID = 0;
        /** u32, field 2: at least this many entries, 1..the CA's maximum (the HCA checks the maximum). */
        public static final int ENTRIES = 8;
        /** u32, field 3: reserved, 0. */
        public static final int RESERVED = 12;
    }

    /** CREATE_CQ output. */
    public static final class CreateCqOut {
        private CreateCqOut() {}

        public static final int SIZE = 16;
        public static final int HANDLE = 0;
        /** u32: the entries the CQ has. */
        public static final int ENTRIES = 8;
        public static final int RESERVED = 12;
    }

    /** CREATE_QP input. */
    public static final class CreateQpIn {
        private CreateQpIn() {}

        public static final int SIZE = 48;
        /** u64, field 1: a PD handle. */
        public static final int PD = 0;
        /** u64, field 2: a CQ handle on the PD's CA. */
        public static final int SEND_CQ = 8;
        /** u64, field 3: a CQ handle on the PD's CA. */
        public static final int RECV_CQ = 16;
        /** u32, field 4: {@link #TYPE_RC} or {@link #TYPE_UD}. */
        public static final int TYPE = 24;
        /** u32, fields 5 to 8 (limits: the HCA checks them against its own). */
        public static final int MAX_SEND_WR = 28;
        public static final int MAX_RECV_WR = 32;
        public static final int MAX_SGE = 36;
        public static final int MAX_INLINE_DATA = 40;
        /** u32, field 9: {@link #FLAG_SIGNAL_ALL} or 0. */
        public static final int FLAGS = 44;

        public static final int TYPE_RC = 0;
        public static final int TYPE_UD = 1;
        /** Every send completes with a work completion (else only SIGNALED ones). */
        public static final int FLAG_SIGNAL_ALL = 1;
    }

    /** CREATE_QP output. */
    public static final class CreateQpOut {
        private CreateQpOut() {}

        public static final int SIZE = 16;
        public static final int HANDLE = 0;
        /** u32: the QP number (what a peer names as destination QPN). */
        public static final int QP_NUMBER = 8;
        public static final int RESERVED = 12;
    }

    /**
     * MODIFY_QP input: one state transition with its attributes, the mask bits being those of
     * {@code org.irpverbs.verbs.QpAttributes}; fields not in the mask are ignored. No output.
     */
    public static final class ModifyQpIn {
        private ModifyQpIn() {}

        public static final int SIZE = 80;
        /** u64, field 1: a QP handle. */
        public static final int QP = 0;
        /** u32, field 2: attribute mask (QpAttributes.STATE, PORT, ...); unknown bits are refused. */
        public static final int MASK = 8;
        /** u32, field 3: 0 RESET, 1 INIT, 2 RTR, 3 RTS, 4 SQD, 5 SQE, 6 ERR. */
        public static final int STATE = 12;
        /** u32, field 4: AccessFlags bits (remote write/atomic need local write). */
        public static final int ACCESS_FLAGS = 16;
        /** u32, field 5. */
        public static final int PKEY_INDEX = 20;
        /** u32, field 6: 1..PORT_COUNT. */
        public static final int PORT = 24;
        /** u32, field 7. */
        public static final int QKEY = 28;
        /** u32, field 8. */
        public static final int DEST_LID = 32;
        /** u32, field 9. */
        public static final int SERVICE_LEVEL = 36;
        /** u32, field 10: bytes, 256, 512, 1024, 2048 or 4096. */
        public static final int PATH_MTU = 40;
        /** u32, fields 11 and on (ranges: the HCA checks them). */
        public static final int TIMEOUT = 44;
        public static final int RETRY_COUNT = 48;
        public static final int RNR_RETRY = 52;
        public static final int RQ_PSN = 56;
        public static final int SQ_PSN = 60;
        public static final int MAX_RD_ATOMIC = 64;
        public static final int MAX_DEST_RD_ATOMIC = 68;
        public static final int MIN_RNR_TIMER = 72;
        public static final int DEST_QPN = 76;
    }

    /**
     * REG_MR input. A user-mode caller's memory cannot be handed across as a Java buffer: IBAL
     * allocates {@code length} zeroed bytes on the file object's behalf and registers them at the
     * caller's virtual address {@code address}, standing for probing and locking the caller's pages
     * (MmProbeAndLockPages); they are freed when the region is deregistered or the file closes.
     */
    public static final class RegMrIn {
        private RegMrIn() {}

        public static final int SIZE = 32;
        /** u64, field 1: a PD handle. */
        public static final int PD = 0;
        /** u64, field 2: the virtual address of the first byte. */
        public static final int ADDRESS = 8;
        /** u64, field 3: 1..{@link #MAX_LENGTH}. */
        public static final int LENGTH = 16;
        /** u32, field 4: AccessFlags bits. */
        public static final int ACCESS = 24;
        /** u32, field 5: reserved, 0. */
        public static final int RESERVED = 28;

        /** The largest region one REG_MR pins (16 MiB). */
        public static final long MAX_LENGTH = 16L << 20;
    }

    /** REG_MR output. */
    public static final class RegMrOut {
        private RegMrOut() {}

        public static final int SIZE = 16;
        public static final int HANDLE = 0;
        public static final int LKEY = 8;
        public static final int RKEY = 12;
    }

    /** CREATE_AH input; output {@link HandleOut}. */
    public static final class CreateAhIn {
        private CreateAhIn() {}

        public static final int SIZE = 24;
        /** u64, field 1: a PD handle. */
        public static final int PD = 0;
        /** u32, field 2: 1..PORT_COUNT. */
        public static final int PORT = 8;
        /** u32, field 3: 1..0xFFFF. */
        public static final int DEST_LID = 12;
        /** u32, field 4: 0..15. */
        public static final int SERVICE_LEVEL = 16;
        /** u32, field 5: reserved, 0. */
        public static final int RESERVED = 20;
    }

    /** POLL_CQ input. */
    public static final class PollCqIn {
        private PollCqIn() {}

        public static final int SIZE = 16;
        /** u64, field 1: a CQ handle. */
        public static final int CQ = 0;
        /** u32, field 2: 1..{@link #MAX_ENTRIES}; the output must hold this many records. */
        public static final int MAX_ENTRIES = 8;
        /** u32, field 3: reserved, 0. */
        public static final int RESERVED = 12;

        public static final int MAX_ENTRIES_LIMIT = 64;
    }

    /** POLL_CQ output: a header, then {@code COUNT} {@link WorkCompletionRecord}s. */
    public static final class PollCqOut {
        private PollCqOut() {}

        public static final int HEADER_SIZE = 8;
        /** u32: how many records follow (0: the CQ is empty). */
        public static final int COUNT = 0;
        public static final int RESERVED = 4;

        /** The output length POLL_CQ needs for {@code maxEntries}. */
        public static int size(int maxEntries) {
            return HEADER_SIZE + maxEntries * WorkCompletionRecord.SIZE;
        }
    }

    /** One work completion in POLL_CQ's output, at {@code PollCqOut.HEADER_SIZE + i * SIZE}. */
    public static final class WorkCompletionRecord {
        private WorkCompletionRecord() {}

        public static final int SIZE = 48;
        /** u64. */
        public static final int WR_ID = 0;
        /** u32: WcStatus ordinal (0 SUCCESS, 4 WR_FLUSH_ERR, ...; docs/ibal-user-abi.md). */
        public static final int STATUS = 8;
        /** u32: WcOpcode ordinal (0 SEND ... 5 RECV, 6 RECV_RDMA_WITH_IMM). */
        public static final int OPCODE = 12;
        public static final int BYTE_LENGTH = 16;
        /** u32: {@link #FLAG_IMMEDIATE}, {@link #FLAG_GRH}. */
        public static final int FLAGS = 20;
        public static final int IMMEDIATE_DATA = 24;
        public static final int QP_NUMBER = 28;
        public static final int SOURCE_QP = 32;
        public static final int SOURCE_LID = 36;
        public static final int VENDOR_ERROR = 40;
        public static final int RESERVED = 44;

        public static final int FLAG_IMMEDIATE = 1;
        public static final int FLAG_GRH = 2;
    }

    /** POST_SEND input: one work request with at most one scatter/gather entry. No output. */
    public static final class PostSendIn {
        private PostSendIn() {}

        public static final int SIZE = 72;
        /** u64, field 1: a QP handle. */
        public static final int QP = 0;
        /** u64, field 2. */
        public static final int WR_ID = 8;
        /** u32, field 3: WrOpcode ordinal (0 SEND, 1 SEND_WITH_IMM, 2 RDMA_WRITE, ...). */
        public static final int OPCODE = 16;
        /** u32, field 4: SendFlags FENCE (1), SIGNALED (2), SOLICITED (4); INLINE is not offered here. */
        public static final int FLAGS = 20;
        /** u64, field 5: the SGE's virtual address (in a registered region). */
        public static final int LOCAL_ADDRESS = 24;
        /** u32, field 6: the SGE's length; 0: no SGE. */
        public static final int LENGTH = 32;
        /** u32, field 7. */
        public static final int LKEY = 36;
        /** u64, field 8: an AH handle for UD, 0 for RC. */
        public static final int AH = 40;
        /** u32, field 9. */
        public static final int REMOTE_QPN = 48;
        /** u32, field 10. */
        public static final int REMOTE_QKEY = 52;
        /** u64, field 11. */
        public static final int REMOTE_ADDRESS = 56;
        /** u32, field 12. */
        public static final int RKEY = 64;
        /** u32, field 13. */
        public static final int IMMEDIATE_DATA = 68;
    }

    /** POST_RECV input: one receive with at most one SGE. No output. */
    public static final class PostRecvIn {
        private PostRecvIn() {}

        public static final int SIZE = 32;
        /** u64, field 1: a QP handle. */
        public static final int QP = 0;
        /** u64, field 2. */
        public static final int WR_ID = 8;
        /** u64, field 3. */
        public static final int LOCAL_ADDRESS = 16;
        /** u32, field 4; 0: no SGE. */
        public static final int LENGTH = 24;
        /** u32, field 5. */
        public static final int LKEY = 28;
    }
}
