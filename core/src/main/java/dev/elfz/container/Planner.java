package dev.elfz.container;

import dev.elfz.Codec;
import dev.elfz.CodecChoice;
import dev.elfz.Dtype;
import dev.elfz.ElfzOptions;
import dev.elfz.ErrorBound;
import dev.elfz.Granularity;
import dev.elfz.LossyOptions;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.FloatValues;
import dev.elfz.codec.blocks.BlockFields;
import dev.elfz.codec.grid.GridParams;
import dev.elfz.codec.kmeans.Kmeans;
import dev.elfz.codec.prune.MagnitudeSelect;
import dev.elfz.codec.prune.PruneParams;
import dev.elfz.codec.uniform.UniformMath;
import dev.elfz.codec.uniform.UniformParams;
import dev.elfz.io.InputChangedException;
import dev.elfz.io.MappedInput;
import dev.elfz.kernel.ElfType;
import dev.elfz.safetensors.TensorInfo;
import java.lang.foreign.MemorySegment;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoublePredicate;

/**
 * Decides each tensor's codec and parameters before any chunk is coded: which tensors quantization and pruning
 * touch (LossyOptions), the global pruning threshold over all of them (every file together), and the per-tensor
 * statistics the codecs need (uniform ranges per tensor or row, k-means codebooks). Tensors left out get the
 * value codec of {@link CodecChoice#codecFor}; each is reported once through {@link ElfzOptions.Progress#note}. Every
 * pass over a tensor reads it through private copies of about 1 MiB ({@link MappedInput#forEachPart}): a file cut short
 * meanwhile is an {@link InputChangedException}, never a fault in place.
 */
public final class Planner {

    /** A tensor's codec and its parameters. */
    public record Choice(Codec codec, CodecParams params) {}

    private final Map<String, Choice> choices = new HashMap<>();
    private final ElfzOptions options;

    private Planner(ElfzOptions options) {
        this.options = options;
    }

    /**
     * The codec of a tensor of a file of the input; {@code blocks}: the layout of its quantized blocks, or null. Such
     * blocks are byte planes whatever the codec choice (lossy options touch float tensors only), unless it is raw.
     */
    Choice choice(String file, TensorInfo t, BlockFields blocks) {
        Choice c = choices.get(key(file, t.name()));
        if (c == null && blocks != null && options.codec() != CodecChoice.RAW) {
            return new Choice(Codec.BLOCKS, blocks);
        }
        return c != null ? c : valueChoice(options, t.dtype());
    }

    /** The codec of a tensor quantization leaves out (or of pruning's survivors): the error bound's, or the choice's. */
    public static Choice valueChoice(ElfzOptions o, Dtype dtype) {
        if (!Double.isNaN(o.errorBound())) {
            Codec c = ErrorBound.codecFor(dtype, o.errorBound());
            return new Choice(c, c == Codec.GRID ? GridParams.forBound(o.errorBound()) : CodecParams.NONE);
        }
        return new Choice(o.codec().codecFor(dtype), CodecParams.NONE);
    }

    static Planner plan(Sources sources, ElfzOptions o) throws InputChangedException {
        Planner p = new Planner(o);
        LossyOptions l = o.lossy();
        boolean quantize = o.codec() == CodecChoice.UNIFORM || o.codec() == CodecChoice.KMEANS;
        if (!quantize && !l.prunes()) {
            return p;
        }
        record Selected(String file, Path path, TensorInfo tensor, MemorySegment data) {}
        List<Selected> selected = new ArrayList<>();
        List<PathMatcher> include = matchers(l.include());
        List<PathMatcher> exclude = matchers(l.exclude());
        for (Sources.Source s : sources.files()) {
            Path path = sources.file(s);
            for (TensorInfo t : s.tensors()) {
                String why = skipReason(t, l, include, exclude);
                if (why == null && quantize && !finite(path, t.dtype().elfType(), s.data(t))) {
                    why = "holds NaN or Inf (kept exact by "
                            + valueChoice(o, t.dtype()).codec().id() + ")";
                }
                if (why == null) {
                    selected.add(new Selected(s.path(), path, t, s.data(t)));
                } else if (t.dtype().elfType() != null) {
                    o.progress()
                            .note("left as " + valueChoice(o, t.dtype()).codec().id() + ": " + s.path() + " " + t.name()
                                    + ": " + why);
                }
            }
        }
        float threshold = 0;
        if (!Double.isNaN(l.pruneFraction())) {
            threshold = MagnitudeSelect.threshold(
                    selected.stream()
                            .map(x -> new MagnitudeSelect.Values(
                                    x.tensor().dtype().elfType(), x.data(), x.path()))
                            .toList(),
                    l.pruneFraction());
        } else if (!Double.isNaN(l.pruneThreshold())) {
            threshold = (float) l.pruneThreshold();
        }
        for (Selected x : selected) {
            ElfType type = x.tensor().dtype().elfType();
            Choice q = valueChoice(o, x.tensor().dtype()); // pruning alone: the survivors by the value codec
            if (quantize) {
                String unsafe = null;
                if (o.codec() == CodecChoice.UNIFORM) {
                    UniformParams u = uniform(x.path(), x.tensor(), x.data(), l, threshold);
                    unsafe = unsafe(x.path(), type, u, x.data(), l.prunes());
                    q = unsafe == null ? new Choice(Codec.UNIFORM, u) : q;
                } else if (type == ElfType.F64 && !floatRange(x.path(), x.data())) {
                    unsafe = "values beyond float32's range (k-means centroids are float32)";
                } else {
                    q = new Choice(
                            Codec.KMEANS,
                            Kmeans.fit(List.of(new Kmeans.Values(type, x.data(), x.path())), l.bits(), threshold));
                }
                if (unsafe != null) { // quantizing would write values outside its promise: the value codec instead
                    o.progress()
                            .note((l.prunes()
                                            ? "pruned, not quantized: "
                                            : "left as " + q.codec().id() + ": ") + x.file() + " "
                                    + x.tensor().name() + ": " + unsafe);
                    if (!l.prunes()) {
                        continue;
                    }
                }
            }
            Choice c = l.prunes() ? new Choice(Codec.PRUNE, new PruneParams(threshold, q.codec(), q.params())) : q;
            p.choices.put(key(x.file(), x.tensor().name()), c);
        }
        return p;
    }

    /** Why a tensor is left out of quantization and pruning, or null. */
    private static String skipReason(
            TensorInfo t, LossyOptions l, List<PathMatcher> include, List<PathMatcher> exclude) {
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
            return "matches no include glob";
        }
        if (exclude.stream().anyMatch(m -> m.matches(name))) {
            return "matches an exclude glob";
        }
        return null;
    }

    /** Uniform parameters; per tensor and per channel with the ranges of the surviving values. */
    private static UniformParams uniform(Path file, TensorInfo t, MemorySegment data, LossyOptions l, float threshold)
            throws InputChangedException {
        long n = t.elements();
        long groupSize = switch (l.granularity()) {
            case TENSOR -> n;
            case CHANNEL -> n / t.shape()[0];
            case GROUP -> l.groupSize();
        };
        if (l.granularity() == Granularity.GROUP) {
            return new UniformParams(l.bits(), l.granularity(), groupSize, l.symmetric(), null, null);
        }
        int groups = (int) (n / groupSize);
        double[] lo = new double[groups];
        double[] hi = new double[groups];
        Arrays.fill(lo, Double.POSITIVE_INFINITY);
        Arrays.fill(hi, Double.NEGATIVE_INFINITY);
        ElfType type = t.dtype().elfType();
        MappedInput.forEachPart(file, data, type.valueBytes(), (part, first) -> {
            for (long j = 0, m = part.byteSize() / type.valueBytes(); j < m; j++) {
                double x = FloatValues.get(type, part, j);
                if (Math.abs((float) x) >= threshold) {
                    int g = (int) ((first + j) / groupSize);
                    lo[g] = Math.min(lo[g], x);
                    hi[g] = Math.max(hi[g], x);
                }
            }
        });
        return new UniformParams(l.bits(), l.granularity(), groupSize, l.symmetric(), lo, hi);
    }

    /**
     * Why uniform quantization would break its promise on a tensor (a group whose scale overflows or underflows
     * float32, or whose extremes decode outside the type's finite range or past scale / 2), or null. Per-group
     * ranges of pruned survivors depend on the chunks: UniformChunkCodec stores such a chunk exactly instead.
     */
    private static String unsafe(Path file, ElfType type, UniformParams u, MemorySegment data, boolean pruned)
            throws InputChangedException {
        if (u.lo() != null) {
            for (int g = 0; g < u.lo().length; g++) {
                String why = UniformMath.unsafe(type, u.lo()[g], u.hi()[g], u.bits(), u.symmetric());
                if (why != null) {
                    return (u.lo().length > 1 ? "row " + g + ": " : "") + why;
                }
            }
            return null;
        }
        if (pruned) {
            return null;
        }
        long n = data.byteSize() / type.valueBytes();
        long size = u.groupSize();
        String[] why = {null};
        double[] range = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}; // of the group a part ends inside
        MappedInput.forEachPart(file, data, type.valueBytes(), (part, first) -> {
            double lo = range[0];
            double hi = range[1];
            for (long j = 0, m = part.byteSize() / type.valueBytes(); j < m && why[0] == null; ) {
                long end = Math.min(n, ((first + j) / size + 1) * size); // the end of the group of value first + j
                for (long to = Math.min(m, end - first); j < to; j++) {
                    double x = FloatValues.get(type, part, j);
                    lo = Math.min(lo, x);
                    hi = Math.max(hi, x);
                }
                if (first + j == end) {
                    String w = UniformMath.unsafe(type, lo, hi, u.bits(), u.symmetric());
                    if (w != null) {
                        why[0] = "group " + (end - 1) / size + ": " + w;
                    }
                    lo = Double.POSITIVE_INFINITY;
                    hi = Double.NEGATIVE_INFINITY;
                }
            }
            range[0] = lo;
            range[1] = hi;
        });
        return why[0];
    }

    /** Whether every value of an F64 tensor lies within float32's finite range. */
    private static boolean floatRange(Path file, MemorySegment data) throws InputChangedException {
        return all(file, ElfType.F64, data, x -> !Float.isInfinite((float) x));
    }

    private static boolean finite(Path file, ElfType type, MemorySegment data) throws InputChangedException {
        return all(file, type, data, Double::isFinite);
    }

    /** Whether every value of a tensor passes {@code test} (the parts after a failure are not looked at). */
    private static boolean all(Path file, ElfType type, MemorySegment data, DoublePredicate test)
            throws InputChangedException {
        boolean[] all = {true};
        MappedInput.forEachPart(file, data, type.valueBytes(), (part, first) -> {
            for (long j = 0, m = part.byteSize() / type.valueBytes(); j < m && all[0]; j++) {
                all[0] = test.test(FloatValues.get(type, part, j));
            }
        });
        return all[0];
    }

    private static List<PathMatcher> matchers(List<String> globs) {
        return globs.stream()
                .map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g))
                .toList();
    }

    private static String key(String file, String name) {
        return file + '\0' + name;
    }
}
