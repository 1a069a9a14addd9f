package dev.elfz.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The most the entropy stage may spend on lossless chunks of these values, worked out from FORMAT.md rather than
 * measured: each value rotated left by one bit and split into byte planes; a plane costs its zero-order entropy plus
 * one bit per value (a Huffman code's most) or 8 bits stored as it is, whichever is less. A ratio floor derived from
 * the data instead of copied from a run (the per-chunk tables, a few hundred bytes per MiB, fit in the one bit).
 */
public final class PlaneEntropy {

    private PlaneEntropy() {}

    /** Bits per value, at most, for the n values of {@code values}. */
    public static double bitsPerValue(ElfType type, MemorySegment values) {
        int w = type.valueBytes();
        long n = values.byteSize() / w;
        long[][] counts = new long[w][256];
        for (long i = 0; i < n; i++) {
            long v = TestData.bits(type, values, i);
            long rotated = w == 8 ? Long.rotateLeft(v, 1) : (v << 1 | v >>> (8 * w - 1)) & ((1L << (8 * w)) - 1);
            for (int b = 0; b < w; b++) {
                counts[b][(int) (rotated >>> (8 * b) & 0xff)]++;
            }
        }
        double bits = 0;
        for (long[] plane : counts) {
            double h = 0;
            for (long c : plane) {
                h -= c == 0 ? 0 : (double) c / n * Math.log((double) c / n) / Math.log(2);
            }
            bits += Math.min(8, h + 1);
        }
        return bits;
    }
}
