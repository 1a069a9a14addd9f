package dev.elfz.eval;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.Index;
import dev.elfz.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.IntBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs two ONNX models with the same inputs in ONNX Runtime and compares their float outputs: what a codec did to
 * what the model computes. Inputs come from the first model's input metadata (dynamic dimensions: batch 1, then
 * {@code sequence}): integer inputs named like a mask get ones, like token types or segments zeros, like positions
 * 0, 1, 2, ..., the others seeded ids in [0, maxId); float inputs seeded Gaussian values. ONNX Runtime is an optional
 * dependency of elfz: only this package uses it.
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
    public record Output(String name, long[] shape, double cosine, double maxAbsError, double maxRelError,
                         double argmaxAgreement) {}

    /** How the inputs are made. */
    public record Inputs(int samples, int sequence, long maxId, long seed) {
        public static final Inputs DEFAULT = new Inputs(4, 16, 1000, 1);

        public Inputs {
            if (samples < 1 || sequence < 1 || maxId < 1) {
                throw new IllegalArgumentException("samples, sequence and max id must be positive");
            }
        }
    }

    /**
     * A model compressed and decompressed with some options: its size (with its external data files), the compressed
     * size, the wall time of each way (files on disk, every thread the options allow) and how its outputs compare.
     */
    public record Trial(long inputBytes, long compressedBytes, double compressSeconds, double decompressSeconds,
                        List<Output> outputs) {

        /** The output that changed most: the smallest cosine. */
        public Output worst() {
            return outputs.stream().min(java.util.Comparator.comparingDouble(Output::cosine)).orElseThrow();
        }
    }

    /**
     * Compresses {@code model} with {@code options} and decompresses it in a temporary directory (deleted after; its
     * external data files are written beside it there, at their locations), then {@link #compare}s the original with
     * the result, both loaded by path so that ONNX Runtime finds their external data.
     */
    public static Trial trial(Path model, ElfzOptions options, Inputs in) throws IOException {
        Path tmp = Files.createTempDirectory("elfz-eval");
        try {
            Path z = tmp.resolve("model.onnx.elfz");
            Path back = tmp.resolve("model.onnx");
            long t0 = System.nanoTime();
            Index.Archive archive = Elfz.compress(model, z, options);
            long t1 = System.nanoTime();
            Elfz.decompress(z, back, options);
            long t2 = System.nanoTime();
            return new Trial(archive.files().stream().mapToLong(Index.FileEntry::size).sum(), Files.size(z),
                    (t1 - t0) / 1e9, (t2 - t1) / 1e9, compare(model, back, in));
        } finally {
            AtomicFiles.deleteRecursively(tmp);
        }
    }

    /** Runs both models on the same inputs; one row per float output of {@code original}. */
    public static List<Output> compare(Path original, Path other, Inputs in) throws IOException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(Math.max(1, Runtime.getRuntime().availableProcessors()));
            try (OrtSession a = env.createSession(original.toString(), o);
                 OrtSession b = env.createSession(other.toString(), o)) {
                Map<String, Stats> stats = new LinkedHashMap<>();
                SplittableRandom random = new SplittableRandom(in.seed());
                for (int s = 0; s < in.samples(); s++) {
                    Map<String, OnnxTensor> inputs = inputs(env, a.getInputInfo(), in, random);
                    try (OrtSession.Result ra = a.run(inputs); OrtSession.Result rb = b.run(inputs)) {
                        for (Map.Entry<String, OnnxValue> e : ra) {
                            if (e.getValue() instanceof OnnxTensor x && rb.get(e.getKey()).orElse(null) instanceof OnnxTensor y
                                    && floating(x)) {
                                stats.computeIfAbsent(e.getKey(), k -> new Stats(x.getInfo().getShape())).add(x, y);
                            }
                        }
                    } finally {
                        inputs.values().forEach(OnnxTensor::close);
                    }
                }
                List<Output> out = new ArrayList<>();
                stats.forEach((name, st) -> out.add(st.output(name)));
                return out;
            }
        } catch (OrtException e) {
            throw new IOException(original + ": ONNX Runtime: " + e.getMessage(), e);
        }
    }

    private static boolean floating(OnnxTensor t) {
        OnnxJavaType type = t.getInfo().type;
        return type == OnnxJavaType.FLOAT || type == OnnxJavaType.DOUBLE;
    }

    private static Map<String, OnnxTensor> inputs(OrtEnvironment env, Map<String, NodeInfo> info, Inputs in,
            SplittableRandom random) throws OrtException {
        Map<String, OnnxTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, NodeInfo> e : info.entrySet()) {
            if (!(e.getValue().getInfo() instanceof TensorInfo t)) {
                throw new OrtException("input " + e.getKey() + " is not a tensor: give a model with tensor inputs");
            }
            long[] shape = t.getShape().clone();
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shape[i] >= 0 ? shape[i] : i == 0 && shape.length > 1 ? 1 : in.sequence();
            }
            int n = Math.toIntExact(ai.onnxruntime.OrtUtil.elementCount(shape));
            long last = shape.length == 0 ? 1 : Math.max(1, shape[shape.length - 1]);
            String name = e.getKey().toLowerCase(Locale.ROOT);
            switch (t.type) {
                case INT64, INT32 -> {
                    long[] v = new long[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = name.contains("mask") ? 1 : name.contains("type") || name.contains("segment") ? 0
                                : name.contains("position") ? i % last : random.nextLong(in.maxId());
                    }
                    out.put(e.getKey(), t.type == OnnxJavaType.INT64 ? OnnxTensor.createTensor(env, LongBuffer.wrap(v), shape)
                            : OnnxTensor.createTensor(env, IntBuffer.wrap(java.util.Arrays.stream(v).mapToInt(x -> (int) x)
                                    .toArray()), shape));
                }
                case FLOAT -> {
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = (float) gaussian(random);
                    }
                    out.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape));
                }
                case DOUBLE -> {
                    double[] v = new double[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = gaussian(random);
                    }
                    out.put(e.getKey(), OnnxTensor.createTensor(env, DoubleBuffer.wrap(v), shape));
                }
                default -> throw new OrtException("input " + e.getKey() + " is " + t.type
                        + "; elfz eval makes INT64, INT32, FLOAT and DOUBLE inputs");
            }
        }
        return out;
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
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
            return new Output(name, shape, cosine, maxAbs, maxRef == 0 ? maxAbs : maxAbs / maxRef,
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
