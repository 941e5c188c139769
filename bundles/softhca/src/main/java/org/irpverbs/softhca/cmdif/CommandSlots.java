package org.irpverbs.softhca.cmdif;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.irpverbs.irp.Cancellable;
import org.irpverbs.irp.Irp;

/**
 * The command interface's tokens: one slot per command the firmware may hold at once. A token is
 * {@code generation << 8 | slot}; the generation changes on every reuse of the slot, so a late
 * completion of a command given up on is recognised as stale.
 *
 * <p>Each slot's state (its occupant, the last token issued, the tokens that may still come back
 * late) is one immutable object replaced by a single compare-and-set, so taking a slot from its
 * occupant is one atomic step keyed by the occupant: a completion, a timeout and a removal racing
 * for the same command cannot take the request of the command that holds the slot next.
 *
 * <p>Wrap-proof staleness: the tokens of commands that were given up on while the firmware may
 * still run them (timed out, or the hardware removed) are <em>abandoned</em>: the slot never issues
 * them again until their late completion arrives, however often the slot is reused and however
 * narrow the generation. The generation is {@value #GENERATION_BITS} bits by default, so the
 * sequence only wraps after millions of reuses of one slot anyway.
 *
 * <p>Thread-safe and lock-free (callable at DISPATCH).
 */
final class CommandSlots {
    static final int MAX_SLOTS = 256;
    /** Generation bits of a token: with the 8 slot bits the token stays a positive int. */
    static final int GENERATION_BITS = 23;
    /**
     * At most this many abandoned tokens are remembered per slot: the firmware holds at most
     * {@link #MAX_SLOTS} commands, so beyond that some of them cannot still be running (the
     * firmware was reset or lost them); the oldest is forgotten.
     */
    static final int MAX_ABANDONED_PER_SLOT = MAX_SLOTS;

    /** How far a command's post got; read by whoever takes the slot to decide whether its answer may still come. */
    static final int POSTING = 0;
    static final int POSTED = 1;
    static final int REFUSED = 2;
    /** Was REFUSED and was taken from its slot (timeout, removal) before it could be offered again. */
    static final int TAKEN_REFUSED = 3;

    /** A command holding a slot. Identity matters: a slot is taken from one particular occupant. */
    static final class Occupant {
        final int token;
        final Irp request;
        final AtomicInteger phase = new AtomicInteger(POSTING);
        /** Its timeout, set once right after the slot was taken (the slot may be taken back before). */
        volatile Cancellable timer;

        Occupant(int token, Irp request) {
            this.token = token;
            this.request = request;
        }

        int slot() {
            return token & 0xFF;
        }

        @Override
        public String toString() {
            return "token 0x" + Integer.toHexString(token) + " phase " + phase.get();
        }
    }

    /** A slot's state; never changed in place. */
    private static final class SlotState {
        static final int[] NONE = {};

        /** The last token issued (the occupant's while occupied); the next generation follows it. */
        final int lastToken;
        /** Null when free. */
        final Occupant occupant;
        /** Tokens of this slot whose late completion may still come, oldest first. */
        final int[] abandoned;

        SlotState(int lastToken, Occupant occupant, int[] abandoned) {
            this.lastToken = lastToken;
            this.occupant = occupant;
            this.abandoned = abandoned;
        }
    }

    private final AtomicReferenceArray<SlotState> states = new AtomicReferenceArray<>(MAX_SLOTS);
    private final int generations;
    private final int abandonedCapacity;
    private final AtomicInteger occupied = new AtomicInteger();

    /** @param generationBits width of the generation (tests narrow it to exercise the wrap) */
    CommandSlots(int generationBits) {
        if (generationBits < 2 || generationBits > GENERATION_BITS) {
            throw new IllegalArgumentException("generation bits must be 2.." + GENERATION_BITS + ", was " + generationBits);
        }
        this.generations = (1 << generationBits) - 1; // generation 0 is never issued
        this.abandonedCapacity = Math.min(MAX_ABANDONED_PER_SLOT, generations - 1); // one generation always stays free
        for (int i = 0; i < MAX_SLOTS; i++) {
            states.set(i, new SlotState(i, null, SlotState.NONE));
        }
    }

    /** Number of distinct generations a slot cycles through. */
    int generations() {
        return generations;
    }

    /** The index of a free slot below {@code bound}, or -1. */
    int findFree(int bound) {
        for (int i = 0; i < bound; i++) {
            if (states.get(i).occupant == null) {
                return i;
            }
        }
        return -1;
    }

    /** Takes slot {@code i} for {@code request} with the slot's next token, if it is still free; null if not. */
    Occupant acquireAt(int i, Irp request) {
        for (;;) {
            SlotState s = states.get(i);
            if (s.occupant != null) {
                return null;
            }
            Occupant o = new Occupant(nextToken(i, s), request);
            if (states.compareAndSet(i, s, new SlotState(o.token, o, s.abandoned))) {
                occupied.incrementAndGet();
                return o;
            }
            // a stale completion rewrote the abandoned tokens: try again with what it left
        }
    }

    /** Takes any free slot below {@code bound}; null if all are busy. */
    Occupant acquire(int bound, Irp request) {
        for (int i = 0; i < bound; i++) {
            Occupant o = acquireAt(i, request);
            if (o != null) {
                return o;
            }
        }
        return null;
    }

    private int nextToken(int slot, SlotState s) {
        int generation = (s.lastToken >>> 8) % (generations + 1);
        for (int k = 0; k < generations; k++) {
            generation = generation % generations + 1;
            int token = generation << 8 | slot;
            if (indexOf(s.abandoned, token) < 0) {
                return token;
            }
        }
        // unreachable: at most generations - 1 tokens are abandoned
        throw new IllegalStateException("slot " + slot + " has no generation left");
    }

    /** The occupant holding {@code token}'s slot with that token, or null. */
    Occupant find(int token) {
        Occupant o = states.get(token & 0xFF).occupant;
        return o != null && o.token == token ? o : null;
    }

    /** The occupant of slot {@code i}, or null. */
    Occupant occupantAt(int i) {
        return states.get(i).occupant;
    }

    boolean holds(Occupant o) {
        return states.get(o.slot()).occupant == o;
    }

    /**
     * Frees {@code o}'s slot if {@code o} still holds it, in one compare-and-set; false if someone
     * else took it first. {@code mayAnswerLate}: the command is given up on (timeout, removal) and
     * the firmware may still complete it, so its token is abandoned in the same step.
     */
    boolean release(Occupant o, boolean mayAnswerLate) {
        int i = o.slot();
        for (;;) {
            SlotState s = states.get(i);
            if (s.occupant != o) {
                return false;
            }
            int[] abandoned = mayAnswerLate ? with(s.abandoned, o.token) : s.abandoned;
            if (states.compareAndSet(i, s, new SlotState(s.lastToken, null, abandoned))) {
                occupied.decrementAndGet();
                return true;
            }
        }
    }

    /**
     * The token can no longer come back (its late completion arrived, or its post was refused):
     * the slot may issue it again. True if it was abandoned.
     */
    boolean forget(int token) {
        int i = token & 0xFF;
        for (;;) {
            SlotState s = states.get(i);
            int at = indexOf(s.abandoned, token);
            if (at < 0) {
                return false;
            }
            int[] rest = new int[s.abandoned.length - 1];
            System.arraycopy(s.abandoned, 0, rest, 0, at);
            System.arraycopy(s.abandoned, at + 1, rest, at, rest.length - at);
            if (states.compareAndSet(i, s, new SlotState(s.lastToken, s.occupant, rest))) {
                return true;
            }
        }
    }

    /** Commands holding a slot (posted, being posted, or refused and waiting to be posted again). */
    int occupied() {
        return occupied.get();
    }

    /** Abandoned tokens of all slots (for statistics and tests). */
    int abandoned() {
        int n = 0;
        for (int i = 0; i < MAX_SLOTS; i++) {
            n += states.get(i).abandoned.length;
        }
        return n;
    }

    private int[] with(int[] tokens, int token) {
        if (indexOf(tokens, token) >= 0) {
            return tokens;
        }
        int keep = Math.min(tokens.length, abandonedCapacity - 1);
        int[] out = Arrays.copyOfRange(tokens, tokens.length - keep, tokens.length + 1);
        out[keep] = token;
        return out;
    }

    private static int indexOf(int[] tokens, int token) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == token) {
                return i;
            }
        }
        return -1;
    }
}
