package dev.elfz.analyze;

/**
 * A set of 64-bit fingerprints in one open-addressing long[] (linear probing, 0 stands for "empty", so the
 * fingerprint 0 is stored as 1: a 2^-64 confusion). 8 bytes a slot, kept at most half full: 16 bytes of heap per
 * distinct chunk at most (8 to 16 as the table doubles). It grows up to {@code maxSlots}; once that is half
 * full, new fingerprints are no longer stored ({@link #saturated()}): a chunk seen before is still recognised,
 * later repeats of unstored chunks are missed, so duplicate bytes are then a lower bound.
 */
public final class FingerprintSet {

    private long[] slots;
    private int size;
    private final int maxSlots;
    private boolean saturated;

    /** @param maxSlots a power of two: the most memory the set takes is 8 x maxSlots bytes */
    public FingerprintSet(int maxSlots) {
        if (Integer.bitCount(maxSlots) != 1 || maxSlots < 16) {
            throw new IllegalArgumentException("maxSlots must be a power of two >= 16: " + maxSlots);
        }
        this.maxSlots = maxSlots;
        this.slots = new long[Math.min(maxSlots, 1 << 12)];
    }

    /** True when {@code fingerprint} was added before; otherwise adds it (when there is room) and returns false. */
    public boolean seenOrAdd(long fingerprint) {
        long f = fingerprint == 0 ? 1 : fingerprint;
        int mask = slots.length - 1;
        int i = mix(f) & mask;
        while (true) {
            long s = slots[i];
            if (s == f) {
                return true;
            }
            if (s == 0) {
                break;
            }
            i = (i + 1) & mask;
        }
        if ((size + 1) * 2L > slots.length) {
            if (slots.length >= maxSlots) {
                saturated = true;
                return false;
            }
            grow();
            return seenOrAdd(fingerprint);
        }
        slots[i] = f;
        size++;
        return false;
    }

    private static int mix(long f) {
        return (int) (f ^ (f >>> 32)) * 0x9E3779B9;
    }

    private void grow() {
        long[] old = slots;
        slots = new long[old.length * 2];
        int mask = slots.length - 1;
        for (long f : old) {
            if (f != 0) {
                int i = mix(f) & mask;
                while (slots[i] != 0) {
                    i = (i + 1) & mask;
                }
                slots[i] = f;
            }
        }
    }

    /** Distinct fingerprints stored. */
    public int size() {
        return size;
    }

    /** True when fingerprints were left out for want of room. */
    public boolean saturated() {
        return saturated;
    }

    /** Heap bytes the table takes now. */
    public long bytes() {
        return 8L * slots.length;
    }
}
