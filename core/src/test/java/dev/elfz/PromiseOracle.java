package dev.elfz;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.elfz.container.DamagedElfzTest;
import dev.elfz.kernel.ElfType;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What each codec promises, worked out here from FORMAT.md rather than by the library: every decoded value of a
 * decompressed file is checked against it. Equal bits are exact. Raw and lossless: equal bits. ELF: within the
 * type's bound when |x| &lt; 1, else exact. Grid: within E, non-finite values exact. Uniform: finite, within half
 * the formula's scale of the value's group (computed in double from the group's true range) plus an ulp of the
 * dtype. K-means: the centroid nearest the value (up to
 * the float32 rounding of the midpoints), rounded to the dtype. Prune: a dropped value (|x| &lt; T) decodes as +0, a
 * survivor as its codec promises (uniform per group: the survivors' range of the whole tensor bounds any group's).
 */
public final class PromiseOracle {

    private PromiseOracle() {}

    /** The first value of any tensor outside its codec's promise, or null. */
    public static String check(Path original, Path decompressed, Path elfz) throws IOException {
        try (SafetensorsFile a = SafetensorsFile.open(original);
                SafetensorsFile b = SafetensorsFile.open(decompressed);
                ElfzReader r = ElfzReader.open(elfz)) {
            Map<String, Map<String, Object>> params = params(elfz);
            for (TensorInfo t : a.tensors()) {
                ElfzTensor z = r.tensor(t.name());
                String bad = check(t, a.data(t), b.data(b.tensor(t.name())), z.codec(), params.get(t.name()));
                if (bad != null) {
                    return "tensor " + t.name() + " (" + t.dtype() + ", "
                            + z.codec().id() + "): " + bad;
                }
            }
        }
        return null;
    }

    /**
     * ELF's bound on |x - x'| for x in (-1, 1), as FORMAT.md states it (half an ulp of [1, 2) in the dtype): a
     * constant here, so that a change to the library's own {@code errorBound()} cannot move what the tests hold it to.
     */
    public static double elfBound(ElfType type) {
        return switch (type) {
            case F32 -> 0x1p-24;
            case F64 -> 0x1p-53;
            case F16 -> 0x1p-11;
            case BF16 -> 0x1p-8;
        };
    }

    /** The codec parameters of each tensor of a single-file archive, as its JSON index writes them (FORMAT.md). */
    @SuppressWarnings("unchecked")
    public static Map<String, Map<String, Object>> params(Path elfz) throws IOException {
        Map<String, Object> index =
                new ObjectMapper().readValue(DamagedElfzTest.index(Files.readAllBytes(elfz)), Map.class);
        Map<String, Map<String, Object>> byTensor = new HashMap<>();
        for (Object f : (List<Object>) index.get("files")) {
            for (Object t : (List<Object>) ((Map<String, Object>) f).getOrDefault("tensors", List.of())) {
                Map<String, Object> tensor = (Map<String, Object>) t;
                Map<String, Object> data = (Map<String, Object>) tensor.get("data");
                byTensor.put((String) tensor.get("name"), (Map<String, Object>) data.getOrDefault("params", Map.of()));
            }
        }
        return byTensor;
    }

    /** The codec of each tensor of an archive. */
    public static Codec codec(Path elfz, String tensor) throws IOException {
        try (ElfzReader r = ElfzReader.open(elfz)) {
            return r.tensor(tensor).codec();
        }
    }

    @SuppressWarnings("unchecked")
    private static String check(
            TensorInfo t, MemorySegment x, MemorySegment y, Codec codec, Map<String, Object> params) {
        Dtype d = t.dtype();
        long n = t.elements();
        float threshold = 0;
        Codec inner = codec;
        Map<String, Object> p = params;
        if (codec == Codec.PRUNE) {
            threshold = Float.intBitsToFloat(((Number) params.get("threshold_bits")).intValue());
            inner = Codec.forId((String) params.get("inner"));
            p = (Map<String, Object>) params.get("inner_params");
        }
        long groupSize = n;
        if (inner == Codec.UNIFORM && codec != Codec.PRUNE) {
            groupSize = ((Number) p.get("group_size")).longValue(); // per tensor: n
        }
        double[] scale = inner == Codec.UNIFORM ? scales(d, x, n, groupSize, threshold, p) : null;
        for (long i = 0; i < n; i++) {
            double xi = TestModels.get(x, d, i);
            double yi = TestModels.get(y, d, i);
            if (bits(x, d, i) == bits(y, d, i)) {
                continue;
            }
            String bad;
            if (codec == Codec.PRUNE && Math.abs((float) xi) < threshold) {
                bad = bits(y, d, i) == 0 ? null : "a dropped value is not +0";
            } else if (!Double.isFinite(xi)) {
                bad = "should be exact (NaN or Inf)";
            } else if (!Double.isFinite(yi)) {
                bad = "a finite value decoded as " + yi;
            } else {
                double e = Math.abs(xi - yi);
                bad = switch (inner) {
                    case RAW, LOSSLESS, BLOCKS -> "should be exact";
                    case ELF -> Math.abs(xi) < 1 && e <= elfBound(d.elfType()) ? null : "beyond ELF's bound";
                    case GRID -> e <= ((Number) p.get("error_bound")).doubleValue() ? null : "beyond the error bound";
                    case UNIFORM ->
                        e
                                        <= scale[(int) (i / groupSize)] / 2 * (1 + 0x1p-16)
                                                + ulp(d, Math.max(Math.abs(xi), Math.abs(yi)))
                                ? null
                                : "error " + e + " > half the scale " + scale[(int) (i / groupSize)];
                    case KMEANS ->
                        e <= nearest(p, xi) + ulp(d, Math.max(Math.abs(xi), Math.abs(yi))) + Math.ulp((float) xi)
                                ? null
                                : "not the nearest centroid";
                    case PRUNE -> "prune inside prune";
                };
            }
            if (bad != null) {
                return "value " + i + ": " + xi + " decoded as " + yi + ": " + bad;
            }
        }
        return null;
    }

    /** The distance from x to the nearest centroid of a k-means codebook. */
    private static double nearest(Map<String, Object> p, double x) {
        double best = Double.POSITIVE_INFINITY;
        for (Object bits : (List<?>) p.get("codebook_bits")) {
            best = Math.min(best, Math.abs(x - Float.intBitsToFloat(((Number) bits).intValue())));
        }
        return best;
    }

    /** FORMAT.md's scale of each group, in double from the group's true range (of the survivors of pruning). */
    private static double[] scales(
            Dtype d, MemorySegment x, long n, long groupSize, float threshold, Map<String, Object> p) {
        int bits = ((Number) p.get("bits")).intValue();
        boolean symmetric = (Boolean) p.get("symmetric");
        double[] scale = new double[(int) ((n + groupSize - 1) / groupSize)];
        for (int g = 0; g < scale.length; g++) {
            double lo = 0;
            double hi = 0;
            for (long i = g * groupSize; i < Math.min(n, (g + 1) * groupSize); i++) {
                double v = TestModels.get(x, d, i);
                if (Math.abs((float) v) >= threshold) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
            scale[g] = symmetric ? Math.max(-lo, hi) / ((1 << (bits - 1)) - 1) : (hi - lo) / ((1 << bits) - 1);
        }
        return scale;
    }

    private static double ulp(Dtype d, double v) {
        return switch (d) {
            case F32 -> Math.ulp((float) v);
            case F64 ->
                Math.max(Math.scalb(Math.ulp(v), 29), 0x1p-149); // float32's: F64 is quantized with float32 scales
            case F16 -> Math.max(Math.scalb(Math.ulp((float) v), 13), 0x1p-24); // 10 bits, subnormals from 2^-24
            default -> Math.max(Math.scalb(Math.ulp((float) v), 16), 0x1p-133); // BF16: 7 bits
        };
    }

    private static long bits(MemorySegment s, Dtype d, long i) {
        return switch (d) {
            case F64 -> Double.doubleToRawLongBits(s.getAtIndex(TestModels.F64, i));
            case F32 -> Float.floatToRawIntBits(s.getAtIndex(TestModels.F32, i));
            default -> s.getAtIndex(TestModels.U16, i);
        };
    }
}
