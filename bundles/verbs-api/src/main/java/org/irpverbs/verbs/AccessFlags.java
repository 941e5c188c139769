package org.irpverbs.verbs;

/** Memory region and QP access rights (ibv_access_flags values). */
public final class AccessFlags {
    private AccessFlags() {}

    public static final int LOCAL_WRITE = 1;
    public static final int REMOTE_WRITE = 2;
    public static final int REMOTE_READ = 4;
    public static final int REMOTE_ATOMIC = 8;
    public static final int ALL = LOCAL_WRITE | REMOTE_WRITE | REMOTE_READ | REMOTE_ATOMIC;

    /**
     * Validates a combination: only known bits, and remote write or atomic need local write (IBA
     * 10.6.3.1).
     *
     * @return null if valid, else the reason
     */
    public static String invalidReason(int flags) {
        if ((flags & ~ALL) != 0) {
            return String.format("unknown access bits 0x%X", flags & ~ALL);
        }
        if ((flags & (REMOTE_WRITE | REMOTE_ATOMIC)) != 0 && (flags & LOCAL_WRITE) == 0) {
            return "REMOTE_WRITE and REMOTE_ATOMIC require LOCAL_WRITE";
        }
        return null;
    }

    public static String toString(int flags) {
        StringBuilder b = new StringBuilder();
        if ((flags & LOCAL_WRITE) != 0) {
            b.append("LOCAL_WRITE|");
        }
        if ((flags & REMOTE_WRITE) != 0) {
            b.append("REMOTE_WRITE|");
        }
        if ((flags & REMOTE_READ) != 0) {
            b.append("REMOTE_READ|");
        }
        if ((flags & REMOTE_ATOMIC) != 0) {
            b.append("REMOTE_ATOMIC|");
        }
        return b.length() == 0 ? "NONE" : b.substring(0, b.length() - 1);
    }
}
