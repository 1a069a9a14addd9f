package dev.elfz.analyze;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A set of 64-bit fingerprints in one open-addressing table off the heap (linear probing; 0 stands for "empty",
 * so the fingerprint 0 is stored as 1: a 2^-64 confusion). 8 bytes a slot, kept at most half full: 8 to 16 bytes
 * per distinct chunk as the table doubles, outside the Java heap so that -Xmx does not limit it. The sets of one
 * analysis share a {@link Budget}; when a table cannot double within it, new fingerprints are no longer stored
 * ({@link #saturated()}): a chunk seen before is still recognised, later repeats of unstored chunks are missed, so
 * duplicate bytes are then a lower bound. Used by one thread; {@link #close} frees the table.
 */
public final class FingerprintSet implements AutoCloseable {

    /** Bytes of memory the tables of one analysis may take together (counting old and new while one doubles). */
    public static final class Budget {
        private final long limit;
        private long used;

        public Budget(long limit) {
            this.limit = limit;
        }

        boolean reserve(long bytes) {
            if (used + bytes > limit) {
                return false;
            }
            used += bytes;
            return true;
        }

        void release(long bytes) {
            used -= bytes;
        }

        public long limit() {
            return limit;
        }
    }

    private static final ValueLayout.OfLong SLOT = ValueLayout.JAVA_LONG;
    private static final long FIRST_SLOTS = 1 << 12;

    private final Budget budget;
    private Arena arena;
    private MemorySegment slots;
    private long mask;
    private long reserved; // of the budget, by the table now
    private long size;
    private boolean saturated;

    /** An empty set of 4096 slots (32 KiB) taken from {@code budget}, or a saturated one if even that is not there. */
    public FingerprintSet(Budget budget) {
        this(budget, 0, 8 * FIRST_SLOTS);
    }

    /**
     * An empty set with room for {@code expected} fingerprints (the chunks to come: an upper bound on the distinct
     * ones) at most half full, or, when that needs more than {@code share} bytes of the budget, the largest table
     * that fits in it: allocated once, so that it need not double its way up (which would need the old and the new
     * table at once). It still doubles if more come than expected and the budget allows.
     */
    public FingerprintSet(Budget budget, long expected, long share) {
        this.budget = budget;
        long want = Math.max(FIRST_SLOTS, 2 * expected);
        long slots = Long.bitCount(want) == 1 ? want : Long.highestOneBit(want) << 1; // a power of two, >= want
        while (slots > FIRST_SLOTS && 8 * slots > share) {
            slots >>= 1;
        }
        if (!allocate(slots) && !allocate(FIRST_SLOTS)) {
            saturated = true;
            allocateUnbudgeted(16); // a token table, so lookups need no special case
        }
    }

    private boolean allocate(long count) {
        if (!budget.reserve(8 * count)) {
            return false;
        }
        allocateUnbudgeted(count);
        reserved = 8 * count;
        return true;
    }

    private void allocateUnbudgeted(long count) {
        arena = Arena.ofConfined();
        slots = arena.allocate(SLOT, count); // zeroed: all empty
        mask = count - 1;
    }

    /** True when {@code fingerprint} was added before; otherwise adds it (when there is room) and returns false. */
    /** The fingerprint as the table keeps it (0 is the empty slot's). */
    static long stored(long fingerprint) {
        return fingerprint == 0 ? 1 : fingerprint;
    }

    public boolean seenOrAdd(long fingerprint) {
        long f = stored(fingerprint);
        long i = slot(f);
        while (true) {
            long s = slots.getAtIndex(SLOT, i);
            if (s == f) {
                return true;
            }
            if (s == 0) {
                break;
            }
            i = (i + 1) & mask;
        }
        if (saturated || (size + 1) * 2 > mask + 1) {
            if (saturated || !grow()) {
                saturated = true;
                return false;
            }
            return seenOrAdd(fingerprint);
        }
        slots.setAtIndex(SLOT, i, f);
        size++;
        return false;
    }

    private long slot(long f) {
        return (f * 0x9E3779B97F4A7C15L >>> 17) & mask; // the fingerprints are hashes already: a cheap remix
    }

    private boolean grow() {
        Arena oldArena = arena;
        MemorySegment old = slots;
        long oldCount = mask + 1, oldReserved = reserved;
        if (!allocate(2 * oldCount)) {
            return false;
        }
        for (long j = 0; j < oldCount; j++) {
            long f = old.getAtIndex(SLOT, j);
            if (f != 0) {
                long i = slot(f);
                while (slots.getAtIndex(SLOT, i) != 0) {
                    i = (i + 1) & mask;
                }
                slots.setAtIndex(SLOT, i, f);
            }
        }
        oldArena.close();
        budget.release(oldReserved);
        return true;
    }

    /** Distinct fingerprints stored. */
    public long size() {
        return size;
    }

    /** True when fingerprints were left out for want of room. */
    public boolean saturated() {
        return saturated;
    }

    /** Bytes the table takes now. */
    public long bytes() {
        return slots.byteSize();
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
            budget.release(reserved);
        }
    }
}
