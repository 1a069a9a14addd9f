package dev.elfz.codec.kmeans;

import dev.elfz.codec.FloatValues;
import dev.elfz.io.InputChangedException;
import dev.elfz.io.MappedInput;
import dev.elfz.kernel.ElfType;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * One-dimensional k-means (Lloyd) on a fine histogram of the values instead of the values themselves: one pass
 * over the tensor builds 2^16 bins of (count, sum, sum of squares) between its minimum and maximum, then the
 * iterations cost bins, not values. Deterministic: centroids start at the histogram's quantiles, the outer two
 * at the minimum and maximum.
 */
public final class Kmeans {

    private Kmeans() {}

    static final int BINS = 1 << 16;
    static final int MAX_ITERATIONS = 200;

    /**
     * A tensor, or part of one, whose values (as doubles) k-means clusters: a mapping of {@code file}, read through
     * private copies (MappedInput), or private memory ({@code file} null).
     */
    public record Values(ElfType type, MemorySegment data, Path file) {

        public Values(ElfType type, MemorySegment data) {
            this(type, data, null);
        }

        /** Hands {@code pass} every value, in order, from private memory ({@link MappedInput#forEachPart}). */
        void forEachPart(MappedInput.ValuePass pass) throws InputChangedException {
            MappedInput.forEachPart(file, data, type.valueBytes(), pass);
        }

        long count(MemorySegment part) {
            return part.byteSize() / type.valueBytes();
        }
    }

    /**
     * Fits {@code 2^bits} centroids to the finite values of {@code parts} whose magnitude is at least
     * {@code keepFrom} (0 keeps all: pruned values are not clustered).
     */
    public static KmeansParams fit(List<Values> parts, int bits, float keepFrom) throws InputChangedException {
        double[] range = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (Values v : parts) {
            v.forEachPart((part, first) -> {
                double min = range[0];
                double max = range[1];
                for (long i = 0, n = v.count(part); i < n; i++) {
                    double x = FloatValues.get(v.type(), part, i);
                    if (kept(x, keepFrom)) {
                        min = Math.min(min, x);
                        max = Math.max(max, x);
                    }
                }
                range[0] = min;
                range[1] = max;
            });
        }
        double min = range[0];
        double max = range[1];
        int k = 1 << bits;
        if (!(min <= max)) { // nothing to cluster
            float[] zero = new float[k];
            return new KmeansParams(bits, zero, 0);
        }
        long[] count = new long[BINS];
        double[] sum = new double[BINS];
        double[] sq = new double[BINS];
        double width = (max - min) / BINS;
        for (Values v : parts) {
            v.forEachPart((part, first) -> {
                for (long i = 0, n = v.count(part); i < n; i++) {
                    double x = FloatValues.get(v.type(), part, i);
                    if (kept(x, keepFrom)) {
                        int b = width == 0 ? 0 : (int) Math.min(BINS - 1, (x - min) / width);
                        count[b]++;
                        sum[b] += x;
                        sq[b] += x * x;
                    }
                }
            });
        }
        double[] c = quantiles(count, sum, k);
        if (k > 2) { // the extremes keep a centroid each: the few large weights matter most (Deep Compression)
            c[0] = min;
            c[k - 1] = max;
        }
        int[] owner = new int[BINS];
        for (int it = 0; it < MAX_ITERATIONS; it++) {
            assign(count, sum, c, owner);
            double[] s = new double[k];
            long[] m = new long[k];
            for (int b = 0; b < BINS; b++) {
                if (count[b] > 0) {
                    s[owner[b]] += sum[b];
                    m[owner[b]] += count[b];
                }
            }
            boolean moved = false;
            for (int j = 0; j < k; j++) {
                double next = m[j] > 0 ? s[j] / m[j] : c[j]; // an empty cluster keeps its centroid
                moved |= next != c[j];
                c[j] = next;
            }
            Arrays.sort(c);
            if (!moved) {
                break;
            }
        }
        float[] codebook = new float[k];
        for (int j = 0; j < k; j++) {
            codebook[j] = (float) c[j];
        }
        Arrays.sort(codebook);
        assign(count, sum, c, owner);
        double err = 0;
        long total = 0;
        for (int b = 0; b < BINS; b++) {
            if (count[b] > 0) {
                double cj = codebook[owner[b]];
                err += sq[b] - 2 * cj * sum[b] + cj * cj * count[b];
                total += count[b];
            }
        }
        return new KmeansParams(bits, codebook, Math.max(0, err / total));
    }

    private static boolean kept(double x, float keepFrom) {
        return Double.isFinite(x) && (keepFrom <= 0 || Math.abs((float) x) >= keepFrom);
    }

    /** Centroids at the (j + 1/2)/k quantiles of the histogram, bins represented by their mean. */
    private static double[] quantiles(long[] count, double[] sum, int k) {
        long total = 0;
        for (long n : count) {
            total += n;
        }
        double[] c = new double[k];
        long seen = 0;
        int j = 0;
        double last = 0;
        for (int b = 0; b < BINS && j < k; b++) {
            if (count[b] == 0) {
                continue;
            }
            last = sum[b] / count[b];
            seen += count[b];
            while (j < k && seen >= (j + 0.5) * total / k) {
                c[j++] = last;
            }
        }
        while (j < k) {
            c[j++] = last;
        }
        return c;
    }

    /** Each non-empty bin to the centroid nearest its mean (centroids ascending). */
    private static void assign(long[] count, double[] sum, double[] c, int[] owner) {
        int j = 0;
        for (int b = 0; b < BINS; b++) {
            if (count[b] == 0) {
                continue;
            }
            double x = sum[b] / count[b];
            while (j + 1 < c.length && Math.abs(c[j + 1] - x) <= Math.abs(c[j] - x)) { // past duplicates too
                j++;
            }
            owner[b] = j;
        }
    }
}
