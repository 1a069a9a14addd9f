package dev.elfz.codec.kmeans;

import dev.elfz.codec.CodecParams;
import java.util.ArrayList;
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
            throw new IllegalArgumentException("a " + bits + "-bit codebook has " + (1 << bits) + " entries, not "
                    + codebook.length);
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
        if (!(m.get("bits") instanceof Integer bits) || !(m.get("codebook_bits") instanceof List<?> list)
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
