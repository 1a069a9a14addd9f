package dev.elfz.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzException;
import dev.elfz.ElfzOptions;
import dev.elfz.onnx.ExternalData;
import dev.elfz.onnx.OnnxBytes;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions straight from an archive against sessions from the decompressed file, on all-MiniLM-L6-v2 (real weights)
 * inline and in external-data form, lossless and ELF: the same outputs bit for bit, and nothing written.
 */
class OrtArchiveTest {

    @TempDir
    static Path dir;

    static Path original;
    static Path external;
    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    @BeforeAll
    static void models() throws IOException {
        original = OnnxBytes.miniLm(dir);
        Path ext = Files.createDirectories(dir.resolve("ext"));
        external = ext.resolve("model.onnx");
        ExternalData.convert(original, external, "model.onnx_data", 1024);
    }

    @Test
    void inlineModelLosslessGivesTheOriginalsOutputs() throws Exception {
        Path z = compress(original, CodecChoice.LOSSLESS, "inline-lossless");
        assertEquals(outputs(original), outputsFromArchive(z));
    }

    @Test
    void inlineModelElfGivesTheDecompressedFilesOutputs() throws Exception {
        Path z = compress(original, CodecChoice.ELF, "inline-elf");
        Map<String, List<IntBuffer>> fromArchive = outputsFromArchive(z);
        assertEquals(outputs(decompress(z, "inline-elf")), fromArchive);
        assertTrue(!fromArchive.equals(outputs(original)), "ELF moves the outputs a little: the test can tell");
    }

    @Test
    void externalDataModelThroughExternalInitializers() throws Exception {
        for (CodecChoice c : List.of(CodecChoice.LOSSLESS, CodecChoice.ELF)) {
            Path z = compress(external, c, "external-" + c);
            assertEquals(outputs(decompress(z, "external-" + c)), outputsFromArchive(z), c.toString());
        }
        Path z = compress(external, CodecChoice.LOSSLESS, "external-lossless-again");
        assertEquals(outputs(original), outputsFromArchive(z));
    }

    @Test
    void somethingElseIsOneClearError() throws IOException {
        Path notElfz = Files.writeString(dir.resolve("plain.elfz"), "hello");
        ElfzException e = assertThrows(ElfzException.class, () -> OrtArchive.open(notElfz));
        assertTrue(
                e.getMessage().contains("plain.elfz") && e.getMessage().contains("not an .elfz file"), e.getMessage());

        Path models = Files.createDirectories(dir.resolve("models"));
        Files.copy(original, models.resolve("model.onnx"));
        Path z = dir.resolve("models.elfz");
        Elfz.compress(models, z, ElfzOptions.defaults());
        e = assertThrows(ElfzException.class, () -> OrtArchive.open(z));
        assertTrue(e.getMessage().contains("holds a model directory, not one ONNX model"), e.getMessage());
    }

    /** Compresses into a directory of its own, so that the test can see that opening it adds nothing there. */
    private static Path compress(Path model, CodecChoice codec, String name) throws IOException {
        Path z = Files.createDirectories(dir.resolve(name)).resolve("model.onnx.elfz");
        Elfz.compress(model, z, ElfzOptions.defaults().withCodec(codec));
        return z;
    }

    private static Path decompress(Path z, String name) throws IOException {
        Path out = Files.createDirectories(dir.resolve(name + "-back")).resolve("model.onnx");
        Elfz.decompress(z, out, ElfzOptions.defaults());
        return out;
    }

    private static Map<String, List<IntBuffer>> outputsFromArchive(Path z) throws IOException, OrtException {
        List<Path> before = listing(z.getParent());
        try (OrtSession s = OrtArchive.open(z)) {
            assertEquals(before, listing(z.getParent()), "nothing written beside the archive");
            return run(s);
        }
    }

    private static Map<String, List<IntBuffer>> outputs(Path model) throws OrtException {
        try (OrtSession s = ENV.createSession(model.toString())) {
            return run(s);
        }
    }

    /** Two samples of 16 seeded token ids (mask ones, types zeros): each output's values, bit for bit. */
    private static Map<String, List<IntBuffer>> run(OrtSession s) throws OrtException {
        Map<String, List<IntBuffer>> out = new LinkedHashMap<>();
        SplittableRandom r = new SplittableRandom(7);
        for (int sample = 0; sample < 2; sample++) {
            long[][] ids = new long[1][16];
            long[][] mask = new long[1][16];
            long[][] types = new long[1][16];
            for (int i = 0; i < 16; i++) {
                ids[0][i] = 1000 + r.nextInt(29000);
                mask[0][i] = 1;
            }
            Map<String, OnnxTensor> in = new LinkedHashMap<>();
            try {
                in.put("input_ids", OnnxTensor.createTensor(ENV, ids));
                in.put("attention_mask", OnnxTensor.createTensor(ENV, mask));
                in.put("token_type_ids", OnnxTensor.createTensor(ENV, types));
                try (OrtSession.Result res = s.run(in)) {
                    for (Map.Entry<String, OnnxValue> e : res) {
                        FloatBuffer f = ((OnnxTensor) e.getValue()).getFloatBuffer();
                        int[] bits = new int[f.remaining()];
                        for (int i = 0; i < bits.length; i++) {
                            bits[i] = Float.floatToRawIntBits(f.get(i));
                        }
                        out.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(IntBuffer.wrap(bits));
                    }
                }
            } finally {
                in.values().forEach(OnnxTensor::close);
            }
        }
        return out;
    }

    private static List<Path> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().toList();
        }
    }
}
