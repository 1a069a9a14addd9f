package dev.elfz;

import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
import dev.elfz.samples.BertWeights;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Small safetensors files with every dtype, awkward shapes and the float values codecs get wrong. */
public final class TestModels {

    private TestModels() {}

    /** Float values of weight-like size, with every special case sprinkled in. */
    public static final double[] SPECIALS = {
        Double.NaN,
        Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY,
        -0.0,
        0.0,
        1.0,
        -1.0,
        0.99999994,
        -0.9995,
        2.5,
        -6.82,
        1e-30,
        -1e-40,
        65504,
        3e38
    };

    /**
     * Every dtype (a few hundred values each, so several chunks at small chunk sizes), an empty tensor, a
     * scalar, metadata; float tensors hold Gaussian weights with the specials at random places.
     */
    public static Path everyDtype(Path file, long seed) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (Dtype d : Dtype.values()) {
            // sub-byte types need whole bytes; 333 values do not divide any chunk size
            long[] shape = d.bits() < 8 ? new long[] {250, 4} : new long[] {111, 3};
            specs.add(new TensorSpec("t." + d.name().toLowerCase(), d, shape));
        }
        specs.add(new TensorSpec("empty", Dtype.F32, new long[] {4, 0}));
        specs.add(new TensorSpec("scalar", Dtype.F32, new long[] {}));
        specs.add(new TensorSpec("scalar64", Dtype.F64, new long[] {}));
        specs.add(new TensorSpec("big-f32", Dtype.F32, new long[] {64, 100}));
        return write(file, specs, Map.of("format", "pt", "note", "every dtype"), seed);
    }

    /**
     * Tensors of these shapes filled with BERT-base's float32 weights (its data file from the start, one tensor after
     * the other; embeddings first), converted to {@code dtype} as {@link #set} does.
     */
    public static Path bert(Path file, Dtype dtype, long[]... shapes) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < shapes.length; i++) {
            specs.add(new TensorSpec("bert." + i, dtype, shapes[i]));
            total += specs.get(i).elements();
        }
        Path weights = Files.createTempFile(file.getParent(), "bert", ".f32");
        BertWeights.extract(null, total * Float.BYTES, weights);
        try (FileChannel ch = FileChannel.open(weights);
                Arena arena = Arena.ofConfined()) {
            MemorySegment w = ch.map(FileChannel.MapMode.READ_ONLY, 0, total * Float.BYTES, arena);
            List<MemorySegment> data = new ArrayList<>();
            long at = 0;
            for (TensorSpec s : specs) {
                MemorySegment m = arena.allocate(s.byteSize());
                for (long j = 0; j < s.elements(); j++) {
                    set(m, dtype, j, w.getAtIndex(F32, at++));
                }
                data.add(m);
            }
            SafetensorsWriter.write(file, specs, data, Map.of(), true);
        } finally {
            Files.delete(weights);
        }
        return file;
    }

    public static Path write(Path file, List<TensorSpec> specs, Map<String, String> metadata, long seed)
            throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> data = new ArrayList<>();
            for (TensorSpec s : specs) {
                MemorySegment m = arena.allocate(Math.max(1, s.byteSize())).asSlice(0, s.byteSize());
                fill(m, s.dtype(), r);
                data.add(m);
            }
            SafetensorsWriter.write(file, specs, data, metadata, true);
        }
        return file;
    }

    public static void fill(MemorySegment m, Dtype d, SplittableRandom r) {
        int bytes = d.bits() / 8;
        long n = d.bits() < 8 ? 0 : m.byteSize() / bytes;
        if (d.elfType() == null) {
            for (long i = 0; i < m.byteSize(); i++) {
                m.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
            }
            return;
        }
        for (long i = 0; i < n; i++) {
            double x = r.nextInt(40) == 0 ? SPECIALS[r.nextInt(SPECIALS.length)] : r.nextGaussian() * 0.05;
            set(m, d, i, x);
        }
        if (n > 0) {
            set(m, d, n - 1, Double.NaN);
        }
    }

    public static void set(MemorySegment m, Dtype d, long i, double x) {
        switch (d) {
            case F32 -> m.setAtIndex(F32, i, (float) x);
            case F64 -> m.setAtIndex(F64, i, x);
            case F16 -> m.setAtIndex(U16, i, Float.floatToFloat16((float) x));
            case BF16 -> m.setAtIndex(U16, i, (short) (Float.floatToRawIntBits((float) x) >>> 16));
            default -> throw new IllegalArgumentException(d.name());
        }
    }

    /** Value i of a float tensor as a double (NaN stays NaN). */
    public static double get(MemorySegment m, Dtype d, long i) {
        return switch (d) {
            case F32 -> m.getAtIndex(F32, i);
            case F64 -> m.getAtIndex(F64, i);
            case F16 -> Float.float16ToFloat(m.getAtIndex(U16, i));
            case BF16 -> Float.intBitsToFloat(m.getAtIndex(U16, i) << 16);
            default -> throw new IllegalArgumentException(d.name());
        };
    }

    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
}
