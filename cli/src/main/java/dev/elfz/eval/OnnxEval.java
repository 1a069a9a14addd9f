package dev.elfz.eval;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.elfz.Elfz;
import dev.elfz.ElfzArchive;
import dev.elfz.ElfzOptions;
import dev.elfz.container.Archive;
import dev.elfz.io.AtomicFiles;
import dev.elfz.io.ExitCleanup;
import dev.elfz.onnx.OnnxGraph;
import java.io.IOException;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs two ONNX models with the same inputs in ONNX Runtime and compares their float outputs: what a codec did to
 * what the model computes. The inputs ({@link Feeds}) are the user's files, one sample, or are made from the first
 * model's input metadata (dynamic dimensions: batch 1, then {@code sequence}): integer inputs named like a mask get
 * ones, like token types or segments zeros, like positions 0, 1, 2, ..., the others seeded ids in [0, maxId), maxId
 * by default the rows of the embedding table the input indexes ({@link OnnxGraph}); float inputs seeded Gaussian
 * values. ONNX Runtime is an optional dependency of elfz: only this package uses it.
 */
public final class OnnxEval {

    private OnnxEval() {}

    /**
     * How one output compares over every sample.
     *
     * @param cosine the smallest over the samples of the cosine similarity of the whole output (flattened)
     * @param maxAbsError the largest |x - y|
     * @param maxRelError the largest |x - y| over the largest |x| of the same output (relative to its scale)
     * @param argmaxAgreement the share of rows (along the last axis) whose argmax is the same; NaN for a last axis
     *     of fewer than 2 values
     */
    public record Output(
            String name, long[] shape, double cosine, double maxAbsError, double maxRelError, double argmaxAgreement) {}

    /**
     * How the inputs are made: generated ({@code files} empty), or one sample read from {@code files}, a file per
     * model input (NumPy .npy or a JSON nested array).
     *
     * @param maxId the bound of generated ids; 0 for the rows of the embedding table each id input indexes (1000
     *     when none is found)
     */
    public record Inputs(int samples, int sequence, long maxId, long seed, Map<String, Path> files) {
        public static final Inputs DEFAULT = generated(4, 16, 0, 1);

        public Inputs {
            if (samples < 1 || sequence < 1 || maxId < 0) {
                throw new IllegalArgumentException("samples and sequence must be positive, max id 0 or more");
            }
            files = Collections.unmodifiableMap(new LinkedHashMap<>(files)); // the user's order
        }

        public static Inputs generated(int samples, int sequence, long maxId, long seed) {
            return new Inputs(samples, sequence, maxId, seed, Map.of());
        }

        /** One sample: every input of the model from its file. */
        public static Inputs given(Map<String, Path> files) {
            if (files.isEmpty()) {
                throw new IllegalArgumentException("no input files");
            }
            return new Inputs(1, 1, 0, 0, files);
        }

        public boolean given() {
            return !files.isEmpty();
        }
    }

    /**
     * The outputs of two models compared.
     *
     * @param inputs per model input, what it held: "ids in [0, 30522): the rows of ...", "ids.npy: int64 [1, 8]"
     */
    public record Comparison(Map<String, String> inputs, List<Output> outputs) {}

    /**
     * A model compressed and decompressed with some options: its size (with its external data files), the compressed
     * size, the wall time of each way (files on disk, every thread the options allow) and how its outputs compare.
     */
    public record Trial(
            long inputBytes,
            long compressedBytes,
            double compressSeconds,
            double decompressSeconds,
            Comparison comparison) {

        public List<Output> outputs() {
            return comparison.outputs();
        }

        /** The output that changed most: the smallest cosine. */
        public Output worst() {
            return outputs().stream()
                    .min(Comparator.comparingDouble(Output::cosine))
                    .orElseThrow();
        }
    }

    /**
     * Makes the inputs (a bad input file fails here, before any work), compresses {@code model} with {@code options}
     * into a temporary archive (deleted after), then compares the original, loaded by path, with a session made
     * straight from the archive ({@link OrtArchive}: the model decoded into memory, no file written). The decompression
     * time is the decoding into memory, ONNX Runtime's own loading left out (it is left out for the original too).
     */
    public static Trial trial(Path model, ElfzOptions options, Inputs in) throws IOException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession a = open(env, model)) {
            Feeds feeds = feeds(model, a, in);
            Path z = Files.createTempFile("elfz-eval", Elfz.SUFFIX);
            ExitCleanup.deleteAtExit(z);
            try {
                long t0 = System.nanoTime();
                ElfzArchive archive = Elfz.compress(model, z, options.withOverwrite(true));
                long t1 = System.nanoTime();
                long[] decoded = {t1};
                try (Archive r = Archive.open(z, options.kernel());
                        OrtSession b = OrtArchive.open(
                                env, r, options.threads(), OnnxEval::configure, () -> decoded[0] = System.nanoTime())) {
                    return new Trial(
                            archive.originalBytes(),
                            Files.size(z),
                            (t1 - t0) / 1e9,
                            (decoded[0] - t1) / 1e9,
                            compare(env, model, a, b, feeds));
                }
            } finally {
                AtomicFiles.deleteTemporary(z);
            }
        } catch (OrtException e) {
            throw new IOException(model + ": ONNX Runtime: " + e.getMessage(), e);
        }
    }

    /** Runs both models on the same inputs; one row per float output of {@code original}. */
    public static Comparison compare(Path original, Path other, Inputs in) throws IOException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession a = open(env, original);
                OrtSession b = open(env, other)) {
            return compare(env, original, a, b, feeds(original, a, in));
        } catch (OrtException e) {
            throw new IOException(original + ": ONNX Runtime: " + e.getMessage(), e);
        }
    }

    private static OrtSession open(OrtEnvironment env, Path model) throws OrtException {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) { // ONNX Runtime keeps its own copy
            configure(o);
            return env.createSession(model.toString(), o);
        }
    }

    private static void configure(OrtSession.SessionOptions o) throws OrtException {
        o.setIntraOpNumThreads(Math.max(1, Runtime.getRuntime().availableProcessors()));
        // a failed run is one OrtException, which elfz prints as its one line: not also ONNX Runtime's log line
        o.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
    }

    private static Feeds feeds(Path model, OrtSession a, Inputs in) throws IOException, OrtException {
        return Feeds.of(model, a.getInputInfo(), in);
    }

    private static Comparison compare(OrtEnvironment env, Path original, OrtSession a, OrtSession b, Feeds feeds)
            throws OrtException {
        Map<String, Stats> stats = new LinkedHashMap<>();
        for (Map<String, Feeds.Feed> sample : feeds.samples()) {
            Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, Feeds.Feed> e : sample.entrySet()) {
                    inputs.put(e.getKey(), e.getValue().tensor(env));
                }
                try (OrtSession.Result ra = a.run(inputs);
                        OrtSession.Result rb = b.run(inputs)) {
                    for (Map.Entry<String, OnnxValue> e : ra) {
                        if (e.getValue() instanceof OnnxTensor x
                                && rb.get(e.getKey()).orElse(null) instanceof OnnxTensor y
                                && floating(x)) {
                            stats.computeIfAbsent(
                                            e.getKey(),
                                            k -> new Stats(x.getInfo().getShape()))
                                    .add(x, y);
                        }
                    }
                }
            } finally {
                inputs.values().forEach(OnnxTensor::close);
            }
        }
        List<Output> out = new ArrayList<>();
        stats.forEach((name, st) -> out.add(st.output(name)));
        return new Comparison(feeds.described(), out);
    }

    private static boolean floating(OnnxTensor t) {
        OnnxJavaType type = t.getInfo().type;
        return type == OnnxJavaType.FLOAT || type == OnnxJavaType.DOUBLE;
    }

    /** Sums over the samples of one output. */
    private static final class Stats {
        final long[] shape;
        double cosine = 1;
        double maxAbs;
        double maxRef;
        long rows;
        long agreeing;
        boolean argmax;

        Stats(long[] shape) {
            this.shape = shape;
        }

        void add(OnnxTensor x, OnnxTensor y) {
            double[] a = values(x);
            double[] b = values(y);
            double dot = 0;
            double aa = 0;
            double bb = 0;
            for (int i = 0; i < a.length; i++) {
                dot += a[i] * b[i];
                aa += a[i] * a[i];
                bb += b[i] * b[i];
                maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
                maxRef = Math.max(maxRef, Math.abs(a[i]));
            }
            cosine = Math.min(cosine, aa == 0 && bb == 0 ? 1 : dot / Math.sqrt(aa * bb));
            long[] s = x.getInfo().getShape();
            int last = s.length == 0 ? 1 : (int) s[s.length - 1];
            argmax = last >= 2;
            for (int r = 0; argmax && r < a.length / last; r++) {
                rows++;
                agreeing += argmax(a, r * last, last) == argmax(b, r * last, last) ? 1 : 0;
            }
        }

        Output output(String name) {
            return new Output(
                    name,
                    shape,
                    cosine,
                    maxAbs,
                    maxRef == 0 ? maxAbs : maxAbs / maxRef,
                    argmax ? (double) agreeing / rows : Double.NaN);
        }

        private static int argmax(double[] v, int from, int n) {
            int best = from;
            for (int i = from + 1; i < from + n; i++) {
                best = v[i] > v[best] ? i : best;
            }
            return best - from;
        }

        private static double[] values(OnnxTensor t) {
            if (t.getInfo().type == OnnxJavaType.DOUBLE) {
                DoubleBuffer d = t.getDoubleBuffer();
                double[] v = new double[d.remaining()];
                d.get(v);
                return v;
            }
            FloatBuffer f = t.getFloatBuffer();
            double[] v = new double[f.remaining()];
            for (int i = 0; i < v.length; i++) {
                v[i] = f.get(i);
            }
            return v;
        }
    }
}
