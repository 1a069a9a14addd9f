package dev.elfz.eval;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import dev.elfz.onnx.OnnxGraph;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The inputs both models run on, made before any compression so that a bad one fails first: generated from the
 * model's input metadata, or read from the user's files ({@code --input}), every value converted to the input's
 * element type and checked to fit.
 *
 * @param samples one map of input tensors per run
 * @param described per model input, in the model's order, what it holds (for the report)
 */
record Feeds(List<Map<String, Feeds.Feed>> samples, Map<String, String> described) {

    /** Ids for an integer input that indexes no table found in the graph. */
    static final long FALLBACK_MAX_ID = 1000;

    /** One input tensor: its bytes in the platform's order, as ONNX Runtime takes them (the tensor shares them). */
    record Feed(OnnxJavaType type, long[] shape, ByteBuffer bytes) {
        OnnxTensor tensor(OrtEnvironment env) throws OrtException {
            return OnnxTensor.createTensor(env, bytes.duplicate().order(ByteOrder.nativeOrder()), shape, type);
        }
    }

    /** The element types elfz gives, with the range of values each holds (integers) and its width. */
    private enum Target {
        BOOL(0, 1, 1),
        INT8(Byte.MIN_VALUE, Byte.MAX_VALUE, 1),
        UINT8(0, 255, 1),
        INT16(Short.MIN_VALUE, Short.MAX_VALUE, 2),
        INT32(Integer.MIN_VALUE, Integer.MAX_VALUE, 4),
        INT64(Long.MIN_VALUE, Long.MAX_VALUE, 8),
        FLOAT(0, 0, 4),
        DOUBLE(0, 0, 8);

        final long min;
        final long max;
        final int width;

        Target(long min, long max, int width) {
            this.min = min;
            this.max = max;
            this.width = width;
        }

        boolean floating() {
            return this == FLOAT || this == DOUBLE;
        }

        /** The target for {@code input} of type t; an error naming {@code where} (the model, or the file) if none. */
        static Target of(String where, String input, OnnxJavaType t) throws IOException {
            try {
                return valueOf(t.name());
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": input " + input + " is " + t
                        + "; elfz eval gives BOOL, INT8, UINT8, INT16, " + "INT32, INT64, FLOAT and DOUBLE inputs");
            }
        }
    }

    /** The feeds for {@code model}, whose inputs ONNX Runtime describes as {@code info}. */
    static Feeds of(Path model, Map<String, NodeInfo> info, OnnxEval.Inputs in) throws IOException {
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, NodeInfo> e : info.entrySet()) {
            if (!(e.getValue().getInfo() instanceof TensorInfo t)) {
                throw new IOException(
                        model + ": input " + e.getKey() + " is not a tensor: elfz eval gives tensors only");
            }
            tensors.put(e.getKey(), t);
        }
        return in.given() ? given(model, tensors, in.files()) : generated(model, tensors, in);
    }

    // ---- given: one sample, every input from a file

    private static Feeds given(Path model, Map<String, TensorInfo> info, Map<String, Path> files) throws IOException {
        List<String> unknown =
                files.keySet().stream().filter(n -> !info.containsKey(n)).toList();
        if (!unknown.isEmpty()) {
            throw new IOException(model + ": no input named " + String.join(", ", unknown) + " (--input "
                    + unknown.getFirst() + "=" + files.get(unknown.getFirst()) + "); its inputs: "
                    + String.join(", ", info.keySet()));
        }
        List<String> missing =
                info.keySet().stream().filter(n -> !files.containsKey(n)).toList();
        if (!missing.isEmpty()) {
            throw new IOException(model + ": --input missing for " + String.join(", ", missing)
                    + ": give every input of the model, or none to generate them");
        }
        Map<String, Feed> sample = new LinkedHashMap<>();
        Map<String, String> described = new LinkedHashMap<>();
        Map<String, Sized> symbols = new HashMap<>();
        for (Map.Entry<String, TensorInfo> e : info.entrySet()) {
            Path file = files.get(e.getKey());
            Values v = Values.read(file);
            checkShape(e.getKey(), e.getValue(), v, symbols);
            sample.put(e.getKey(), convert(v, e.getKey(), e.getValue().type));
            described.put(e.getKey(), file + ": " + v.dtype() + " " + Arrays.toString(v.shape()));
        }
        return new Feeds(List.of(sample), described);
    }

    /**
     * The file's shape against the input's: the same rank, the fixed dimensions equal, and a named dynamic one
     * (sequence) the size the other files gave it: ONNX Runtime would refuse it too, naming no file.
     */
    private static void checkShape(String input, TensorInfo t, Values v, Map<String, Sized> symbols)
            throws IOException {
        long[] want = t.getShape();
        boolean fits = want.length == v.shape().length;
        for (int d = 0; fits && d < want.length; d++) {
            fits = want[d] < 0 || want[d] == v.shape()[d];
        }
        if (!fits) {
            throw new IOException(
                    v.source() + ": shape " + Arrays.toString(v.shape()) + ", but input " + input + " is " + shown(t));
        }
        String[] names = dimensionNames(t);
        for (int d = 0; d < want.length; d++) {
            if (want[d] < 0 && !names[d].isEmpty()) {
                Sized first = symbols.putIfAbsent(names[d], new Sized(v.shape()[d], v.source()));
                if (first != null && first.size() != v.shape()[d]) {
                    throw new IOException(v.source() + ": dimension " + d + " (" + names[d] + ") is " + v.shape()[d]
                            + ", but " + first.source() + " gives " + names[d] + " = " + first.size());
                }
            }
        }
    }

    /** The size a file gave a named dynamic dimension. */
    private record Sized(long size, String source) {}

    /** The names of an input's dimensions, "" for fixed or unnamed ones. */
    private static String[] dimensionNames(TensorInfo t) {
        String[] names = t.getDimensionNames();
        String[] out = new String[t.getShape().length];
        for (int d = 0; d < out.length; d++) {
            out[d] = names != null && d < names.length && names[d] != null ? names[d] : "";
        }
        return out;
    }

    /** An input's shape as [batch_size, 384]: fixed sizes, the names of dynamic ones ("?" when unnamed). */
    private static String shown(TensorInfo t) {
        long[] s = t.getShape();
        String[] names = dimensionNames(t);
        List<String> dims = new ArrayList<>();
        for (int d = 0; d < s.length; d++) {
            dims.add(s[d] >= 0 ? Long.toString(s[d]) : !names[d].isEmpty() ? names[d] : "?");
        }
        return dims.toString();
    }

    // ---- generated: from the input metadata and the graph

    private static Feeds generated(Path model, Map<String, TensorInfo> info, OnnxEval.Inputs in) throws IOException {
        Map<String, OnnxGraph.Table> tables = in.maxId() > 0 ? Map.of() : OnnxGraph.indexedTables(model);
        Map<String, String> described = new LinkedHashMap<>();
        SplittableRandom random = new SplittableRandom(in.seed());
        List<Map<String, Feed>> samples = new ArrayList<>();
        for (int s = 0; s < in.samples(); s++) {
            Map<String, Feed> sample = new LinkedHashMap<>();
            for (Map.Entry<String, TensorInfo> e : info.entrySet()) {
                String name = e.getKey();
                Target type = Target.of(model.toString(), name, e.getValue().type);
                Generator g = generator(name, type, in.maxId(), tables.get(name));
                long[] shape = dynamicAs(e.getValue().getShape(), in.sequence());
                sample.put(name, convert(g.values(name, shape, random), name, e.getValue().type));
                described.put(name, g.described());
            }
            samples.add(sample);
        }
        return new Feeds(samples, described);
    }

    /** Dynamic dimensions: a leading batch of 1, the others {@code sequence}. */
    private static long[] dynamicAs(long[] shape, int sequence) {
        long[] s = shape.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] = s[i] >= 0 ? s[i] : i == 0 && s.length > 1 ? 1 : sequence;
        }
        return s;
    }

    /** An integer input's value at flat index i, in rows of {@code last} values. */
    @FunctionalInterface
    private interface IntRule {
        long at(int i, long last, SplittableRandom random);
    }

    /** How one input's values are made, and what they are; {@code ints} null for seeded Gaussian floats. */
    private record Generator(String described, IntRule ints) {

        Values values(String name, long[] shape, SplittableRandom random) throws IOException {
            String source = name + " (generated)";
            int n = Values.count(source, shape);
            if (ints == null) {
                double[] v = new double[n];
                for (int i = 0; i < n; i++) {
                    v[i] = Math.sqrt(-2 * Math.log(1 - random.nextDouble()))
                            * Math.cos(2 * Math.PI * random.nextDouble());
                }
                return new Values(source, Values.Kind.FLOAT, "float64", shape, null, v);
            }
            long last = shape.length == 0 ? 1 : Math.max(1, shape[shape.length - 1]);
            long[] v = new long[n];
            for (int i = 0; i < n; i++) {
                v[i] = ints.at(i, last, random);
            }
            return new Values(source, Values.Kind.INT, "int64", shape, v, null);
        }
    }

    private static Generator generator(String input, Target type, long maxId, OnnxGraph.Table table) {
        String name = input.toLowerCase(Locale.ROOT);
        if (type.floating()) {
            return new Generator("Gaussian (seeded)", null);
        }
        if (type == Target.BOOL || name.contains("mask")) {
            return new Generator("ones (a mask)", (i, last, r) -> 1);
        }
        if (name.contains("type") || name.contains("segment")) {
            return new Generator("zeros (token types)", (i, last, r) -> 0);
        }
        if (name.contains("position")) {
            return new Generator("positions 0, 1, 2, ...", (i, last, r) -> i % last);
        }
        if (maxId > 0) {
            return ids(maxId, "ids in [0, " + maxId + ") (--max-id)");
        }
        if (table != null && table.rows() > 0) {
            return ids(table.rows(), "ids in [0, " + table.rows() + "): the rows of " + table.name());
        }
        return ids(
                FALLBACK_MAX_ID,
                "ids in [0, " + FALLBACK_MAX_ID + "): no embedding table found for it " + "(--max-id sets the range)");
    }

    private static Generator ids(long bound, String described) {
        return new Generator(described, (i, last, r) -> r.nextLong(bound));
    }

    // ---- conversion

    /** The values as {@code type}, each checked to fit: integers in range, exact in floats, floats finite. */
    static Feed convert(Values v, String input, OnnxJavaType type) throws IOException {
        Target t = Target.of(v.source(), input, type);
        int n = v.count();
        // direct: ONNX Runtime 1.23 takes a typed ByteBuffer only as it is, a heap one fails with a ClassCastException
        ByteBuffer b = ByteBuffer.allocateDirect(n * t.width).order(ByteOrder.nativeOrder());
        if (!t.floating() && v.kind() == Values.Kind.FLOAT) {
            throw new IOException(v.source() + ": " + v.dtype() + " values, but input " + input + " is " + t
                    + ": give integers" + (t == Target.BOOL ? " 0/1 or booleans" : ""));
        }
        for (int i = 0; i < n; i++) {
            if (v.kind() == Values.Kind.FLOAT) {
                putFloat(b, t, v.floats()[i], v, i, input);
            } else {
                putInteger(b, t, v.ints()[i], v, i, input);
            }
        }
        return new Feed(type, v.shape(), b.flip());
    }

    private static void putFloat(ByteBuffer b, Target t, double x, Values v, int i, String input) throws IOException {
        if (t == Target.DOUBLE) {
            b.putDouble(x);
            return;
        }
        float f = (float) x;
        if (Float.isInfinite(f) && !Double.isInfinite(x)) {
            throw outOfRange(v, i, Double.toString(x), input, t);
        }
        b.putFloat(f); // rounded to nearest, as NumPy's astype(np.float32)
    }

    private static void putInteger(ByteBuffer b, Target t, long x, Values v, int i, String input) throws IOException {
        boolean fits = switch (t) {
            case FLOAT -> (float) x != 0x1p63f && (long) (float) x == x; // exact: an id must not become another
            case DOUBLE -> (double) x != 0x1p63 && (long) (double) x == x;
            default -> x >= t.min && x <= t.max;
        };
        if (!fits) {
            throw outOfRange(v, i, Long.toString(x), input, t);
        }
        switch (t) {
            case FLOAT -> b.putFloat(x);
            case DOUBLE -> b.putDouble(x);
            case INT64 -> b.putLong(x);
            case INT32 -> b.putInt((int) x);
            case INT16 -> b.putShort((short) x);
            default -> b.put((byte) x);
        }
    }

    private static IOException outOfRange(Values v, int i, String x, String input, Target t) {
        String range =
                t.floating() ? "is not exact in " + t : "is out of range for " + t + " [" + t.min + ", " + t.max + "]";
        return new IOException(v.source() + ": value " + x + " at " + Values.position(v.shape(), i) + " " + range
                + " (input " + input + ")");
    }
}
