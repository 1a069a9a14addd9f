package dev.elfz.analyze;

import dev.elfz.codec.FloatValues;
import dev.elfz.kernel.ElfType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The statistics of float values, gathered a block at a time and merged: counts, min, max, mean and M2 (the sum
 * of squared deviations; Chan et al.'s merge), and the histogram. NaN and Inf are counted, not included in the
 * others. Values are widened to double (exactly) a block at a time, then read twice while the block is in cache:
 * once for counts, extremes, sum and histogram, once for M2 around the block's mean. Each loop takes two values a
 * step into two sets of sums and two histograms, so that the CPU overlaps their chains (twice as fast as one).
 */
final class ValueSummary {

    /** Values per block. */
    static final int BLOCK = 1 << 16;

    /** The histogram: {@link #BINS} bins of equal width over [LOW, HIGH). */
    static final int BINS = 200;

    static final double LOW = -2, HIGH = 2, SCALE = BINS / (HIGH - LOW);

    /** Histogram slots: the bins, then below, above, and one for NaN and Inf (not reported). */
    static final int BELOW = BINS, ABOVE = BINS + 1, NOT_FINITE = BINS + 2, SLOTS = BINS + 3;

    long values, inUnit, nan, inf, finite;
    final long[] counts = new long[SLOTS];
    double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, mean, m2;

    /** A worker's buffers: a block widened to double, and two histograms. */
    static final class Scratch {
        final double[] values = new double[BLOCK + 1]; // + 1: an odd block is padded with a NaN
        final long[] histograms = new long[2 * SLOTS];
    }

    long below() {
        return counts[BELOW];
    }

    long above() {
        return counts[ABOVE];
    }

    long[] bins() {
        return Arrays.copyOf(counts, BINS);
    }

    /** Adds the values of {@code data} (whole values of {@code type}). */
    void add(ElfType type, MemorySegment data, Scratch scratch) {
        long n = data.byteSize() / type.valueBytes();
        for (long start = 0; start < n; start += BLOCK) {
            int m = (int) Math.min(BLOCK, n - start);
            widen(type, data, start, m, scratch.values);
            block(scratch, m);
        }
    }

    /** Values [start, start + m) of {@code data} into {@code out} as doubles. */
    private static void widen(ElfType type, MemorySegment data, long start, int m, double[] out) {
        switch (type) {
            case F64 -> MemorySegment.copy(data, FloatValues.F64, start * 8, out, 0, m);
            case F32 -> {
                for (int i = 0; i < m; i++) {
                    out[i] = data.getAtIndex(FloatValues.F32, start + i);
                }
            }
            default -> {
                for (int i = 0; i < m; i++) {
                    out[i] = FloatValues.get(type, data, start + i);
                }
            }
        }
    }

    /** One block of {@code m} widened values merged into this summary. */
    private void block(Scratch sc, int m) {
        double[] v = sc.values;
        long[] h = sc.histograms;
        Arrays.fill(h, 0);
        int even = m + (m & 1);
        v[m] = Double.NaN; // an odd block's pad: counted as not finite below, then taken off
        long unit = 0, nans = 0;
        double sumA = 0, sumB = 0, low = Double.POSITIVE_INFINITY, high = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < even; i += 2) {
            double x = v[i], y = v[i + 1];
            h[slot(x)]++;
            h[SLOTS + slot(y)]++;
            unit += (Math.abs(x) < 1 ? 1 : 0) + (Math.abs(y) < 1 ? 1 : 0); // false for NaN
            nans += (x != x ? 1 : 0) + (y != y ? 1 : 0);
            boolean fx = Double.isFinite(x), fy = Double.isFinite(y);
            sumA += fx ? x : 0;
            sumB += fy ? y : 0;
            low = Math.min(low, fx ? x : low);
            high = Math.max(high, fx ? x : high);
            low = Math.min(low, fy ? y : low);
            high = Math.max(high, fy ? y : high);
        }
        nans -= even - m;
        for (int s = 0; s < SLOTS; s++) {
            counts[s] += h[s] + h[SLOTS + s];
        }
        counts[NOT_FINITE] -= even - m;
        long notFinite = h[NOT_FINITE] + h[SLOTS + NOT_FINITE] - (even - m);
        long fin = m - notFinite;
        double blockMean = fin == 0 ? 0 : (sumA + sumB) / fin;
        double m2A = 0, m2B = 0;
        for (int i = 0; i < even; i += 2) {
            double dx = v[i] - blockMean, dy = v[i + 1] - blockMean;
            m2A += Double.isFinite(v[i]) ? dx * dx : 0;
            m2B += Double.isFinite(v[i + 1]) ? dy * dy : 0;
        }
        values += m;
        inUnit += unit;
        nan += nans;
        inf += notFinite - nans;
        min = Math.min(min, low);
        max = Math.max(max, high);
        merge(fin, blockMean, m2A + m2B);
    }

    /** The histogram slot of one value. */
    static int slot(double x) {
        if (!Double.isFinite(x)) {
            return NOT_FINITE;
        }
        if (x < LOW) {
            return BELOW;
        }
        if (x >= HIGH) {
            return ABOVE;
        }
        return (int) Math.min(BINS - 1, (x - LOW) * SCALE);
    }

    /** Chan et al.'s merge of a part's count, mean and M2 into the running ones. */
    private void merge(long n, double partMean, double partM2) {
        if (n == 0) {
            return;
        }
        long total = finite + n;
        double delta = partMean - mean;
        mean += delta * n / total;
        m2 += partM2 + delta * delta * ((double) finite * n / total);
        finite = total;
    }

    /** Adds {@code o} (the values after this summary's) to this one. */
    void add(ValueSummary o) {
        values += o.values;
        inUnit += o.inUnit;
        nan += o.nan;
        inf += o.inf;
        for (int s = 0; s < SLOTS; s++) {
            counts[s] += o.counts[s];
        }
        min = Math.min(min, o.min);
        max = Math.max(max, o.max);
        merge(o.finite, o.mean, o.m2);
    }
}
