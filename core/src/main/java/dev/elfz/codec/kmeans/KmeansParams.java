package dev.elfz.codec.kmeans;

import dev.elfz.codec.CodecParams;
import dev.elfz.kernel.ElfType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Non-uniform quantization of one tensor: {@code 2^bits} float32 centroids in ascending order (the codebook,
 * written in the index), each value coded as the index of its nearest centroid.
 *
 * @param mse the mean squared error of the tensor's (unpruned) values, estimated from the histogram k-means ran on
 */
public record KmeansParams(int bits, float[] codebook, double mse) implements CodecParams {

    public KmeansParams {
        if (bits < 1 || bits > 8) {
            throw new IllegalArgumentException("k-means takes 1 to 8 bits, not " + bits);
        }
        if (codebook.length != 1 << bits) {
            throw new IllegalArgumentException(
                    "a " + bits + "-bit codebook has " + (1 << bits) + " entries, not " + codebook.length);
        }
        for (int i = 0; i < codebook.length; i++) {
            if (!Float.isFinite(codebook[i]) || (i > 0 && codebook[i] < codebook[i - 1])) {
                throw new IllegalArgumentException("the codebook must be finite and ascending");
            }
        }
        codebook = codebook.clone();
    }

    @Override
    public float[] codebook() {
        return codebook.clone();
    }

    /**
     * The decision bounds: midpoints between neighbouring centroids, in float32; halved first when their sum
     * overflows (two centroids above half of float32's maximum), which the sum would make an infinite bound.
     */
    public float[] bounds() {
        float[] b = new float[codebook.length - 1];
        for (int i = 0; i < b.length; i++) {
            float mid = (codebook[i] + codebook[i + 1]) * 0.5f;
            b[i] = Float.isInfinite(mid) ? codebook[i] * 0.5f + codebook[i + 1] * 0.5f : mid;
        }
        return b;
    }

    /**
     * What k-means promises about the values {@code min..max} it was fitted on (null when it keeps it): every centroid
     * lies in that range, in float32; with no value at all, every centroid is 0.
     */
    public String outsideRange(double min, double max) {
        for (int j = 0; j < codebook.length; j++) {
            boolean in = min <= max ? (float) min <= codebook[j] && codebook[j] <= (float) max : codebook[j] == 0;
            if (!in) {
                return "centroid " + j + " (" + codebook[j] + ") lies outside the values' range ["
                        + (min <= max ? (float) min + ", " + (float) max : "none") + "]";
            }
        }
        return null;
    }

    /** The promise about each value of a tensor of this type (see {@link Promise}). */
    public Promise promise(ElfType type) {
        return new Promise(codebook, type);
    }

    /**
     * What k-means promises for each value, a centroid rather than a distance: a finite value decodes as one of the
     * centroids rounded to the type, the one nearest to it (ties aside: bucketize compares with float32 midpoints, so a
     * value within a float32 ulp of a midpoint may take either side); NaN and infinities stay as they are.
     */
    public static final class Promise {

        private final float[] codebook;
        private final double[] decoded; // each centroid as the type stores it, ascending like the codebook

        Promise(float[] codebook, ElfType type) {
            this.codebook = codebook;
            this.decoded = new double[codebook.length];
            for (int j = 0; j < codebook.length; j++) {
                decoded[j] = switch (type) {
                    case F32, F64 -> codebook[j];
                    case F16 -> Float.float16ToFloat(Float.floatToFloat16(codebook[j]));
                    case BF16 -> Float.intBitsToFloat(ElfType.toBf16(codebook[j]) << 16);
                };
            }
        }

        /** Null when {@code x} may decode as {@code y}; else why not. */
        public String outside(double x, double y) {
            if (!Double.isFinite(x)) {
                return Double.compare(x, y) == 0 ? null : "should be exact (NaN or Inf)";
            }
            int lo = Arrays.binarySearch(decoded, y);
            if (lo < 0 || Double.isNaN(y)) {
                return "not a centroid of the codebook";
            }
            int hi = lo;
            while (lo > 0 && decoded[lo - 1] == y) {
                lo--;
            }
            while (hi + 1 < decoded.length && decoded[hi + 1] == y) {
                hi++;
            }
            double below = lo == 0 ? Double.NEGATIVE_INFINITY : midpoint(lo - 1, -1);
            double above = hi + 1 == decoded.length ? Double.POSITIVE_INFINITY : midpoint(hi, 1);
            return below <= x && x <= above ? null : "centroid " + codebook[lo] + " is not the nearest";
        }

        /** The midpoint of centroids j and j + 1, moved by a float32 ulp towards {@code side}. */
        private double midpoint(int j, int side) {
            double m = ((double) codebook[j] + codebook[j + 1]) / 2;
            return m + side * Math.ulp((float) m);
        }
    }

    @Override
    public Map<String, Object> toIndex() {
        List<Integer> cb = new ArrayList<>(); // the float32 bits: exact through any JSON reader
        for (float c : codebook) {
            cb.add(Float.floatToRawIntBits(c));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bits", bits);
        m.put("codebook_bits", cb);
        m.put("mse", mse);
        return m;
    }

    /** The parameters an index holds. @throws IllegalArgumentException when they are not valid */
    public static KmeansParams fromIndex(Map<String, Object> m) {
        if (!(m.get("bits") instanceof Integer bits)
                || !(m.get("codebook_bits") instanceof List<?> list)
                || !(m.get("mse") instanceof Number mse)) {
            throw new IllegalArgumentException("k-means needs bits, codebook_bits and mse");
        }
        float[] cb = new float[list.size()];
        for (int i = 0; i < cb.length; i++) {
            if (!(list.get(i) instanceof Integer x)) {
                throw new IllegalArgumentException("codebook entry " + list.get(i) + " is not a 32-bit integer");
            }
            cb[i] = Float.intBitsToFloat(x);
        }
        return new KmeansParams(bits, cb, mse.doubleValue());
    }
}
