package dev.elfz.codec.uniform;

import dev.elfz.Granularity;
import dev.elfz.codec.CodecParams;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Uniform quantization of one tensor: {@code bits} per value, a scale and zero point per group.
 *
 * @param groupSize values per group: the tensor's size (per tensor), a row of axis 0 (per channel), or G
 * @param lo per-group minimum for per-tensor and per-channel groups, found over the whole tensor before the
 *     chunks are coded (not written: each chunk stores its groups' scales); exact (F64's too: the writer checks the
 *     group against its promise); null per group (chunks see whole groups)
 * @param hi per-group maximum, as {@code lo}
 */
public record UniformParams(
        int bits, Granularity granularity, long groupSize, boolean symmetric, double[] lo, double[] hi)
        implements CodecParams {

    public UniformParams {
        if (bits < 1 || bits > 8) {
            throw new IllegalArgumentException("uniform quantization takes 1 to 8 bits, not " + bits);
        }
        if (symmetric && bits < 2) {
            throw new IllegalArgumentException("symmetric quantization needs 2 bits or more (1 bit has no +1 level)");
        }
        if (groupSize < 1) {
            throw new IllegalArgumentException("group size " + groupSize);
        }
    }

    /** Bytes of group parameters per group in a chunk: a float32 scale, and an int8 zero point unless symmetric. */
    public int groupBytes() {
        return symmetric ? Float.BYTES : Float.BYTES + 1;
    }

    @Override
    public Map<String, Object> toIndex() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bits", bits);
        m.put("granularity", granularity.id());
        m.put("group_size", groupSize);
        m.put("symmetric", symmetric);
        return m;
    }

    /** The parameters an index holds. @throws IllegalArgumentException when they are not valid */
    public static UniformParams fromIndex(Map<String, Object> m) {
        Granularity g;
        try {
            g = Granularity.valueOf(String.valueOf(m.get("granularity")).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown granularity " + m.get("granularity"));
        }
        return new UniformParams(integer(m, "bits"), g, integer(m, "group_size"), bool(m, "symmetric"), null, null);
    }

    static int integer(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Integer n)) { // JSON integers that fit an int parse as Integer; 8.0 is a Double
            throw new IllegalArgumentException(key + " is " + m.get(key) + ", not a 32-bit integer");
        }
        return n;
    }

    static boolean bool(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Boolean b)) {
            throw new IllegalArgumentException(key + " is " + m.get(key) + ", not true or false");
        }
        return b;
    }
}
