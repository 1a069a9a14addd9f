package dev.elfz.analyze;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Content-defined chunking, FastCDC (Xia et al., USENIX ATC 2016) with normalized chunking (level 2): a gear
 * rolling hash {@code h = (h << 1) + GEAR[byte]}, a cut where {@code h & mask == 0}; the stricter mask (more bits)
 * below the average size, the looser one above it, no cut before the minimum, a forced cut at the maximum.
 * Boundaries depend only on the bytes (the gear table is fixed), so an inserted byte shifts only nearby cuts.
 */
public final class FastCdc {

    /** The gear table: 256 fixed pseudo-random 64-bit values (SplittableRandom, seed 0x656c667a, "elfz"). */
    static final long[] GEAR = new long[256];

    static {
        SplittableRandom r = new SplittableRandom(0x656c667aL);
        for (int i = 0; i < 256; i++) {
            GEAR[i] = r.nextLong();
        }
    }

    private final int min;
    private final int avg;
    private final int max;
    private final long maskSmall;
    private final long maskLarge;

    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The last {@code count} (< 8) bytes from {@code at}, little-endian, as a word. */
    private static long tail(MemorySegment s, long at, long count) {
        long word = 0;
        for (int k = 0; k < count; k++) {
            word |= (s.get(ValueLayout.JAVA_BYTE, at + k) & 0xffL) << (8 * k);
        }
        return word;
    }

    /** The default: average 4 KiB, min 2 KiB, max 16 KiB. */
    public static final FastCdc DEFAULT = new FastCdc(2048, 4096, 16384);

    /** @param avg a power of two; min <= avg <= max */
    public FastCdc(int min, int avg, int max) {
        if (Integer.bitCount(avg) != 1 || min < 1 || min > avg || avg > max) {
            throw new IllegalArgumentException(
                    "FastCDC sizes: min " + min + ", avg " + avg + " (a power of 2), max " + max);
        }
        this.min = min;
        this.avg = avg;
        this.max = max;
        int bits = Integer.numberOfTrailingZeros(avg);
        // the mask bits are spread over the high half of the hash, where the gear hash mixes best
        this.maskSmall = spread(bits + 2);
        this.maskLarge = spread(bits - 2);
    }

    static long spread(int bits) {
        long m = 0;
        for (int i = 0; i < bits; i++) {
            m |= 1L << (63 - 2 * i); // every other bit from the top
        }
        return m;
    }

    public int min() {
        return min;
    }

    public int avg() {
        return avg;
    }

    public int max() {
        return max;
    }

    /**
     * The length of the chunk that starts at {@code offset}: between min and max, or what is left when that is
     * less than min.
     */
    public long next(MemorySegment s, long offset, long end) {
        long left = end - offset;
        if (left <= min) {
            return left;
        }
        long n = Math.min(left, max);
        long normal = Math.min(n, avg);
        long h = 0;
        long i = min;
        // eight bytes a read (a segment read costs more than a byte's step), one byte a step of the hash
        for (; i < n; i += 8) {
            long word = i + 8 <= n ? s.get(WORD, offset + i) : tail(s, offset + i, n - i);
            for (int k = 0; k < 8 && i + k < n; k++) {
                h = (h << 1) + GEAR[(int) (word >>> (8 * k)) & 0xff];
                if ((h & (i + k < normal ? maskSmall : maskLarge)) == 0) {
                    return i + k + 1;
                }
            }
        }
        return n;
    }
}
