package dev.elfz;

import dev.elfz.codec.Codec;
import dev.elfz.codec.CodecChoice;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.FloatValues;
import dev.elfz.kernel.ElfType;
import dev.elfz.kmeans.Kmeans;
import dev.elfz.prune.MagnitudeSelect;
import dev.elfz.prune.PruneParams;
import dev.elfz.safetensors.Dtype;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.uniform.UniformParams;
import java.lang.foreign.MemorySegment;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides each tensor's codec and parameters before any chunk is coded: which tensors quantization and pruning
 * touch (LossyOptions), the global pruning threshold over all of them (every file together), and the per-tensor
 * statistics the codecs need (uniform ranges per tensor or row, k-means codebooks). Tensors left out get the
 * value codec of {@link CodecChoice#codecFor}; each is reported once through {@link ElfzOptions.Progress#note}.
 */
public final class Planner {

    /** A tensor's codec and its parameters. */
    public record Choice(Codec codec, CodecParams params) {}

    private final Map<String, Choice> choices = new HashMap<>();
    private final ElfzOptions options;

    private Planner(ElfzOptions options) {
        this.options = options;
    }

    /** The codec of a tensor of a file of the input. */
    Choice choice(String file, TensorInfo t) {
        Choice c = choices.get(key(file, t.name()));
        return c != null ? c : valueChoice(options, t.dtype());
    }

    /** The codec of a tensor quantization leaves out (or of pruning's survivors): the error bound's, or the choice's. */
    public static Choice valueChoice(ElfzOptions o, Dtype dtype) {
        if (!Double.isNaN(o.errorBound())) {
            Codec c = ErrorBound.codecFor(dtype, o.errorBound());
            return new Choice(c, ErrorBound.paramsFor(c, o.errorBound()));
        }
        return new Choice(o.codec().codecFor(dtype), CodecParams.NONE);
    }

    static Planner plan(Sources sources, ElfzOptions o) {
        Planner p = new Planner(o);
        LossyOptions l = o.lossy();
        boolean quantize = o.codec() == CodecChoice.UNIFORM || o.codec() == CodecChoice.KMEANS;
        if (!quantize && !l.prunes()) {
            return p;
        }
        record Selected(String file, TensorInfo tensor, MemorySegment data) {}
        List<Selected> selected = new ArrayList<>();
        List<PathMatcher> include = matchers(l.include());
        List<PathMatcher> exclude = matchers(l.exclude());
        for (Sources.Source s : sources.files()) {
            for (TensorInfo t : s.tensors()) {
                String why = skipReason(t, l, include, exclude);
                if (why == null && quantize && !finite(t.dtype().elfType(), s.data(t))) {
                    why = "holds NaN or Inf (kept exact by " + valueChoice(o, t.dtype()).codec().id() + ")";
                }
                if (why == null) {
                    selected.add(new Selected(s.path(), t, s.data(t)));
                } else if (t.dtype().elfType() != null) {
                    o.progress().note("left as " + valueChoice(o, t.dtype()).codec().id() + ": " + s.path() + " "
                            + t.name() + ": " + why);
                }
            }
        }
        float threshold = 0;
        if (!Double.isNaN(l.pruneFraction())) {
            threshold = MagnitudeSelect.threshold(selected.stream()
                    .map(x -> new MagnitudeSelect.Values(x.tensor().dtype().elfType(), x.data())).toList(), l.pruneFraction());
        } else if (!Double.isNaN(l.pruneThreshold())) {
            threshold = (float) l.pruneThreshold();
        }
        for (Selected x : selected) {
            ElfType type = x.tensor().dtype().elfType();
            Codec codec;
            CodecParams params;
            if (o.codec() == CodecChoice.UNIFORM) {
                codec = Codec.UNIFORM;
                params = uniform(x.tensor(), x.data(), l, threshold);
            } else if (o.codec() == CodecChoice.KMEANS) {
                codec = Codec.KMEANS;
                params = Kmeans.fit(List.of(new Kmeans.Values(type, x.data())), l.bits(), threshold);
            } else {
                Choice v = valueChoice(o, x.tensor().dtype());
                codec = v.codec();
                params = v.params();
            }
            Choice c = l.prunes() ? new Choice(Codec.PRUNE, new PruneParams(threshold, codec, params))
                    : new Choice(codec, params);
            p.choices.put(key(x.file(), x.tensor().name()), c);
        }
        return p;
    }

    /** Why a tensor is left out of quantization and pruning, or null. */
    private static String skipReason(TensorInfo t, LossyOptions l, List<PathMatcher> include, List<PathMatcher> exclude) {
        Path name = Path.of(t.name().isEmpty() ? "_" : t.name());
        if (t.dtype().elfType() == null) {
            return "not a float tensor";
        }
        if (t.shape().length < 2) {
            return "rank " + t.shape().length + " (biases and norms stay as they are)";
        }
        if (t.elements() < l.minElements()) {
            return t.elements() + " values, fewer than " + l.minElements();
        }
        if (!include.isEmpty() && include.stream().noneMatch(m -> m.matches(name))) {
            return "matches no --include";
        }
        if (exclude.stream().anyMatch(m -> m.matches(name))) {
            return "matches an --exclude";
        }
        return null;
    }

    /** Uniform parameters; per tensor and per channel with the ranges of the surviving values. */
    private static UniformParams uniform(TensorInfo t, MemorySegment data, LossyOptions l, float threshold) {
        long n = t.elements();
        long groupSize = switch (l.granularity()) {
            case TENSOR -> n;
            case CHANNEL -> n / t.shape()[0];
            case GROUP -> l.groupSize();
        };
        if (l.granularity() == UniformParams.Granularity.GROUP) {
            return new UniformParams(l.bits(), l.granularity(), groupSize, l.symmetric(), null, null);
        }
        int groups = (int) (n / groupSize);
        float[] lo = new float[groups];
        float[] hi = new float[groups];
        java.util.Arrays.fill(lo, Float.POSITIVE_INFINITY);
        java.util.Arrays.fill(hi, Float.NEGATIVE_INFINITY);
        ElfType type = t.dtype().elfType();
        for (long i = 0; i < n; i++) {
            float x = (float) FloatValues.get(type, data, i);
            if (Math.abs(x) >= threshold) {
                int g = (int) (i / groupSize);
                lo[g] = Math.min(lo[g], x);
                hi[g] = Math.max(hi[g], x);
            }
        }
        return new UniformParams(l.bits(), l.granularity(), groupSize, l.symmetric(), lo, hi);
    }

    private static boolean finite(ElfType type, MemorySegment data) {
        for (long i = 0, n = data.byteSize() / type.valueBytes(); i < n; i++) {
            if (!Double.isFinite(FloatValues.get(type, data, i))) {
                return false;
            }
        }
        return true;
    }

    private static List<PathMatcher> matchers(List<String> globs) {
        return globs.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
    }

    private static String key(String file, String name) {
        return file + '\0' + name;
    }
}
