package dev.elfz.cli;

import dev.elfz.Dtype;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Small safetensors files and model directories with every kind of tensor the commands must carry. */
final class Models {

    private Models() {}

    static final Map<String, String> METADATA = Map.of("format", "pt", "note", "elfz test");

    /** Values ELF keeps exactly (|x| >= 1, NaN, Inf, and 1 - 2^-24 whose 1 + |x| rounds to 2), in embed.weight. */
    static final float[] F32_EXCEPTIONS = {1.5f, -2f, Float.NaN, Float.POSITIVE_INFINITY, 0.99999994f};

    /** The tensors of {@link #file}, in file order, with the codec --codec auto gives each. */
    static final List<String> NAMES = List.of(
            "embed.weight", "norm.weight", "half", "brain", "double", "ids", "bytes", "mask", "empty", "scalar");

    static final List<String> AUTO_CODECS =
            List.of("elf", "raw", "lossless", "lossless", "elf", "raw", "raw", "raw", "raw", "raw");
    static final List<String> ELF_CODECS =
            List.of("elf", "raw", "elf", "elf", "elf", "raw", "raw", "raw", "raw", "raw");

    /**
     * A safetensors file: F32 weights (with {@link #F32_EXCEPTIONS}), an F32 LayerNorm gain around 1 (ELF cannot
     * shrink it: stays raw), F16, BF16, F64, I64, U8, BOOL, an empty F32 [0] and an F64 scalar []; metadata.
     */
    static Path file(Path dir, String name, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        List<TensorSpec> specs = new ArrayList<>();
        List<MemorySegment> data = new ArrayList<>();
        Arena arena = Arena.ofAuto();
        MemorySegment embed = gaussian(arena, r, Dtype.F32, 64 * 48, 0, 0.05);
        for (int i = 0; i < F32_EXCEPTIONS.length; i++) {
            embed.setAtIndex(F32, 100 * i + 7, F32_EXCEPTIONS[i]);
        }
        embed.setAtIndex(F32, 3, -0.0f);
        add(specs, data, "embed.weight", Dtype.F32, new long[] {64, 48}, embed);
        add(specs, data, "norm.weight", Dtype.F32, new long[] {48}, gaussian(arena, r, Dtype.F32, 48, 1, 0.1));
        add(specs, data, "half", Dtype.F16, new long[] {3, 100}, gaussian(arena, r, Dtype.F16, 300, 0, 0.05));
        add(specs, data, "brain", Dtype.BF16, new long[] {300}, gaussian(arena, r, Dtype.BF16, 300, 0, 0.05));
        add(specs, data, "double", Dtype.F64, new long[] {20, 10}, gaussian(arena, r, Dtype.F64, 200, 0, 0.05));
        add(specs, data, "ids", Dtype.I64, new long[] {5}, bytes(arena, r, 40));
        add(specs, data, "bytes", Dtype.U8, new long[] {7}, bytes(arena, r, 7));
        MemorySegment mask = arena.allocate(3);
        mask.set(ValueLayout.JAVA_BYTE, 1, (byte) 1);
        add(specs, data, "mask", Dtype.BOOL, new long[] {3}, mask);
        add(specs, data, "empty", Dtype.F32, new long[] {0}, MemorySegment.NULL);
        add(specs, data, "scalar", Dtype.F64, new long[] {}, gaussian(arena, r, Dtype.F64, 1, 0, 0.5));
        Path p = dir.resolve(name);
        SafetensorsWriter.write(p, specs, data, METADATA, true);
        return p;
    }

    /**
     * A model directory as the Hugging Face hub lays it out: two shards, their index, config.json, and a file in a
     * subdirectory.
     */
    static Path directory(Path parent, String name, long seed) throws IOException {
        Path dir = Files.createDirectories(parent.resolve(name));
        file(dir, "model-00001-of-00002.safetensors", seed);
        file(dir, "model-00002-of-00002.safetensors", seed + 1);
        Files.writeString(
                dir.resolve("model.safetensors.index.json"),
                "{\"metadata\": {}, \"weight_map\": {\"embed.weight\": \"model-00001-of-00002.safetensors\"}}\n");
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 48, \"seed\": " + seed + "}\n");
        Files.createDirectories(dir.resolve("tokenizer"));
        Files.writeString(dir.resolve("tokenizer/vocab.txt"), "[PAD]\n[UNK]\nthe\n");
        return dir;
    }

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static void add(
            List<TensorSpec> specs,
            List<MemorySegment> data,
            String name,
            Dtype dtype,
            long[] shape,
            MemorySegment bytes) {
        specs.add(new TensorSpec(name, dtype, shape));
        data.add(bytes);
    }

    private static MemorySegment gaussian(Arena arena, SplittableRandom r, Dtype dtype, int n, double mean, double sd) {
        MemorySegment s = arena.allocate((long) n * dtype.bits() / 8);
        for (int i = 0; i < n; i++) {
            double v = mean + sd * r.nextGaussian();
            switch (dtype) {
                case F32 -> s.setAtIndex(F32, i, (float) v);
                case F64 -> s.setAtIndex(F64, i, v);
                case F16 -> s.setAtIndex(U16, i, Float.floatToFloat16((float) v));
                case BF16 -> s.setAtIndex(U16, i, (short) (Float.floatToRawIntBits((float) v) >>> 16));
                default -> throw new IllegalArgumentException(dtype.name());
            }
        }
        return s;
    }

    private static MemorySegment bytes(Arena arena, SplittableRandom r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return arena.allocate(n).copyFrom(MemorySegment.ofArray(b));
    }
}
