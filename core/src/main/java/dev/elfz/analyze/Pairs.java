package dev.elfz.analyze;

import dev.elfz.Dtype;
import dev.elfz.container.Sources;
import dev.elfz.io.InputChangedException;
import dev.elfz.io.MappedInput;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Likely base and fine-tune pairs among model files: files with the same tensors (names, dtypes, shapes, in order)
 * whose XOR delta, estimated as {@link CodecEstimate} estimates the lossless mode (the same sample, codec and entropy
 * stage, on the XOR of the two files' sampled pieces), codes at least {@link #MIN_GAIN} times smaller than the file
 * alone. That is what {@code elfz compress FT --base BASE} codes losslessly, and an XOR is the same both ways: the
 * earlier file (in the analysis' order) is named the base. Each file is compared with at most {@link #MAX_PARTNERS}
 * earlier files of its shape and paired with the one that gives the smallest delta; an exact copy (every tensor the
 * same) is not a fine-tune, and the duplicate tensors count it already.
 */
public final class Pairs {

    /** The delta must code this many times smaller than the file alone for the files to be named a pair. */
    static final double MIN_GAIN = 1.5;

    /** Earlier files of the same shape a file is compared with, at most (a sample each: about 0.2 s). */
    static final int MAX_PARTNERS = 16;

    /**
     * What the analysis found of a model file: its tensors in order and the hash of each one's bytes.
     *
     * @param name the file as the report names it
     */
    public record Model(String name, List<String> signature, List<SegmentHash.Hash128> hashes, long floatBytes) {}

    /** A file to estimate against earlier files of its shape, in order, copies of it left out. */
    public record Candidate(Model fineTune, List<Model> bases) {}

    /** A candidate's estimates: the fine-tune alone, and its delta against each base in order. */
    public record Estimates(CodecEstimate.Prediction alone, List<CodecEstimate.Prediction> deltas)
            implements Serializable {}

    private Pairs() {}

    /** The pairs among these models, in the order of their fine-tunes (the files read where the names say). */
    static List<Analysis.Pair> find(List<Model> models) throws IOException {
        List<Candidate> candidates = candidates(models);
        List<Estimates> estimates = new ArrayList<>();
        for (Candidate c : candidates) {
            estimates.add(estimate(
                    Path.of(c.fineTune().name()),
                    c.fineTune().floatBytes(),
                    c.bases().stream().map(b -> Path.of(b.name())).toList()));
        }
        return choose(candidates, estimates);
    }

    /**
     * The files each file is compared with: at most {@link #MAX_PARTNERS} earlier files of its shape that are not
     * copies of it; files with none are left out. In the order of their fine-tunes, as {@link #choose} keeps it.
     */
    public static List<Candidate> candidates(List<Model> models) {
        Map<List<String>, List<Model>> shapes = new LinkedHashMap<>();
        for (Model m : models) {
            if (m.floatBytes() > 0 && m.hashes().size() == m.signature().size()) {
                shapes.computeIfAbsent(m.signature(), k -> new ArrayList<>()).add(m);
            }
        }
        List<Candidate> out = new ArrayList<>();
        for (List<Model> same : shapes.values()) {
            for (int i = 1; i < same.size(); i++) {
                Model ft = same.get(i);
                List<Model> bases = new ArrayList<>();
                for (int j = Math.max(0, i - MAX_PARTNERS); j < i; j++) {
                    if (!same.get(j).hashes().equals(ft.hashes())) { // a copy is no fine-tune: duplicates say so
                        bases.add(same.get(j));
                    }
                }
                if (!bases.isEmpty()) {
                    out.add(new Candidate(ft, List.copyOf(bases)));
                }
            }
        }
        return out;
    }

    /** The pairs: each candidate's base of smallest delta (the first of equals), if it gains {@link #MIN_GAIN}. */
    public static List<Analysis.Pair> choose(List<Candidate> candidates, List<Estimates> estimates) {
        List<Analysis.Pair> out = new ArrayList<>();
        for (int c = 0; c < candidates.size(); c++) {
            Candidate cand = candidates.get(c);
            Estimates e = estimates.get(c);
            int best = 0;
            for (int j = 1; j < cand.bases().size(); j++) {
                if (e.deltas().get(j).predictedBytes() < e.deltas().get(best).predictedBytes()) {
                    best = j;
                }
            }
            if (e.deltas().get(best).predictedBytes() * MIN_GAIN <= e.alone().predictedBytes()) {
                out.add(pair(
                        cand.bases().get(best),
                        cand.fineTune(),
                        e.alone(),
                        e.deltas().get(best)));
            }
        }
        return List.copyOf(out);
    }

    private static Analysis.Pair pair(
            Model base, Model ft, CodecEstimate.Prediction alone, CodecEstimate.Prediction delta) {
        int changed = 0;
        for (int k = 0; k < ft.hashes().size(); k++) {
            changed += Objects.equals(ft.hashes().get(k), base.hashes().get(k)) ? 0 : 1;
        }
        return new Analysis.Pair(base.name(), ft.name(), ft.hashes().size(), changed, alone, delta);
    }

    /** A candidate's estimates, from the fine-tune's file ({@code floatBytes} of float tensors) and its bases'. */
    public static Estimates estimate(Path fineTune, long floatBytes, List<Path> bases) throws IOException {
        CodecEstimate.Prediction alone = lossless(fineTune, floatBytes, null);
        List<CodecEstimate.Prediction> deltas = new ArrayList<>();
        for (Path b : bases) {
            deltas.add(lossless(fineTune, floatBytes, b));
        }
        return new Estimates(alone, List.copyOf(deltas));
    }

    /** The lossless estimate of {@code ft}, alone or as its XOR with {@code base}, from the same sampled places. */
    private static CodecEstimate.Prediction lossless(Path ft, long floatBytes, Path base) throws IOException {
        try (Sources.Source f = Sources.Source.open(ft.toString(), ft);
                Sources.Source b = base == null ? null : Sources.Source.open(base.toString(), base);
                CodecEstimate e = new CodecEstimate(floatBytes, List.of(CodecEstimate.LOSSLESS))) {
            List<Sources.Source> parts = Analysis.parts(f);
            List<Sources.Source> baseParts = b == null ? null : Analysis.parts(b);
            if (baseParts != null && baseParts.size() != parts.size()) {
                throw new IOException(base + ": its external data files changed while it was being read");
            }
            for (int p = 0; p < parts.size(); p++) {
                Sources.Source part = parts.get(p);
                List<TensorInfo> tensors = part.tensors();
                long tensorBytes = 0;
                for (int k = 0; k < tensors.size(); k++) {
                    TensorInfo t = tensors.get(k);
                    tensorBytes += t.byteSize();
                    Sources.Source bp = baseParts == null ? null : baseParts.get(p);
                    offer(e, t, part, bp == null ? null : bp.tensors().get(k), bp);
                }
                e.addStored(part.size() - tensorBytes); // the header, as compress keeps it
            }
            return e.predictions().getFirst();
        }
    }

    /** One tensor into the estimate: its XOR with the base's when both are float and the same size. */
    private static void offer(
            CodecEstimate e, TensorInfo t, Sources.Source part, TensorInfo baseTensor, Sources.Source basePart)
            throws InputChangedException {
        MemorySegment data = part.data(t);
        try { // the estimate copies its sample out of the mappings: a fault there is a file changing
            if (baseTensor != null
                    && t.dtype().elfType() != null
                    && baseTensor.dtype() == t.dtype()
                    && baseTensor.byteSize() == t.byteSize()) {
                e.offerDelta(t.dtype(), t.shape(), data, basePart.data(baseTensor));
            } else {
                e.offer(t.dtype(), t.shape(), data);
            }
            MappedInput.raiseFaults();
        } catch (InternalError x) {
            throw new InputChangedException(Path.of(part.path()), x);
        }
    }

    /** A tensor's name, dtype and shape: files with the same list of them may be a pair. */
    static String signature(TensorInfo t) {
        return signature(t.name(), t.dtype(), t.shape());
    }

    static String signature(String name, Dtype dtype, long[] shape) {
        return name + " " + dtype + " " + Arrays.toString(shape);
    }
}
