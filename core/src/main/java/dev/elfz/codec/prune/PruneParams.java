package dev.elfz.codec.prune;

import dev.elfz.Codec;
import dev.elfz.codec.CodecParams;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Magnitude pruning in front of a value codec: values with {@code |w| < threshold} (float32 magnitudes) are
 * dropped and decode as +0; the others ("survivors") go through {@code inner} with {@code innerParams}.
 */
public record PruneParams(float threshold, Codec inner, CodecParams innerParams) implements CodecParams {

    public PruneParams {
        if (!(threshold >= 0)) {
            throw new IllegalArgumentException("prune threshold " + threshold + " is not a number >= 0");
        }
        if (inner == Codec.PRUNE) {
            throw new IllegalArgumentException("pruning cannot wrap pruning");
        }
    }

    /** Whether a value of this magnitude survives (NaN does). */
    public boolean keeps(float magnitude) {
        return !(magnitude < threshold);
    }

    @Override
    public Map<String, Object> toIndex() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("threshold_bits", Float.floatToRawIntBits(threshold)); // exact through any JSON reader
        m.put("threshold", (double) threshold); // for people reading the index
        m.put("inner", inner.id());
        m.put("inner_params", innerParams.toIndex());
        return m;
    }
}
