package dev.elfz.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.elfz.Dtype;
import dev.elfz.TestModels;
import dev.elfz.cli.Main;
import dev.elfz.onnx.OnnxBytes;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
import dev.elfz.torch.TorchBytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.sql.SparkSession;

/** Planted hubs, the single-machine command, and the Spark session the tests share (one per class). */
final class Hubs {

    private Hubs() {}

    /** local[2,2]: two threads, and a failed task is tried once more. */
    static SparkSession spark(Path scratch) {
        return SparkSession.builder()
                .master("local[2,2]")
                .appName("elfz-spark test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.local.dir", scratch.toString())
                .config("spark.sql.warehouse.dir", scratch.resolve("warehouse").toString())
                .getOrCreate();
    }

    /**
     * A zoo: every dtype (twice, in two files), BERT's weights in tensors larger than the 1 MiB window and repeated
     * in part in another model, an ONNX model, a PyTorch checkpoint, and a .bin that is no checkpoint.
     */
    static Path zoo(Path dir) throws IOException {
        Path alpha = Files.createDirectories(dir.resolve("alpha"));
        TestModels.everyDtype(alpha.resolve("model.safetensors"), 1);
        Files.copy(alpha.resolve("model.safetensors"), alpha.resolve("model-copy.safetensors"));
        Path beta = Files.createDirectories(dir.resolve("beta"));
        // the same seed and first tensor: gamma repeats beta's first tensor, not the rest
        weights(beta.resolve("model.safetensors"), Dtype.F32, new long[] {768, 768}, new long[] {1024, 600});
        weights(beta.resolve("half.safetensors"), Dtype.BF16, new long[] {700, 768}, new long[] {64});
        Path gamma = Files.createDirectories(dir.resolve("gamma"));
        weights(gamma.resolve("model.safetensors"), Dtype.F32, new long[] {768, 768}, new long[] {333, 17});
        Files.writeString(gamma.resolve("notes.bin"), "not a checkpoint");
        Path delta = Files.createDirectories(dir.resolve("delta"));
        Files.write(delta.resolve("tiny.onnx"), onnx(7));
        Files.write(dir.resolve("epsilon.pt"), torch(3));
        return dir;
    }

    /** Seeded weights of these shapes (seed 5: files that begin with the same shapes begin with the same tensors). */
    static void weights(Path file, Dtype dtype, long[]... shapes) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            specs.add(new TensorSpec("w." + i, dtype, shapes[i]));
        }
        TestModels.write(file, specs, Map.of(), 5);
    }

    /** Many small models, each one file; a third of them share a tensor, some are copies of others. */
    static Path many(Path dir, int models) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < models; i++) {
            List<TensorSpec> specs = new ArrayList<>();
            List<MemorySegment> data = new ArrayList<>();
            specs.add(new TensorSpec("shared", Dtype.F32, new long[] {32, 32}));
            data.add(floats(i % 3, 1024));
            specs.add(new TensorSpec("own", Dtype.F16, new long[] {3000}));
            data.add(bytes(i % 7 == 6 ? 100 : 100 + i, 6000));
            specs.add(new TensorSpec("ids", Dtype.I64, new long[] {50}));
            data.add(bytes(i % 5, 400));
            Path m = Files.createDirectories(dir.resolve(String.format("m%02d", i)));
            SafetensorsWriter.write(m.resolve("model.safetensors"), specs, data, Map.of(), false);
        }
        return dir;
    }

    static byte[] onnx(long seed) {
        return OnnxBytes.model(new OnnxBytes()
                .message(1, new OnnxBytes().string(1, "x").string(2, "y").string(4, "Identity"))
                .string(2, "tiny")
                .message(
                        5,
                        OnnxBytes.tensor("w", 1, 48, 64).bytes(9, OnnxBytes.floats(OnnxBytes.weights(48 * 64, seed))))
                .message(5, OnnxBytes.tensor("b", 1, 64).bytes(9, OnnxBytes.floats(OnnxBytes.weights(64, seed + 1))))
                .message(11, new OnnxBytes().string(1, "x"))
                .message(12, new OnnxBytes().string(1, "y")));
    }

    static byte[] torch(long seed) {
        return new TorchBytes("epsilon")
                .floats("layer.weight", "0", new long[] {40, 50}, OnnxBytes.weights(2000, seed))
                .floats("layer.bias", "1", new long[] {50}, OnnxBytes.weights(50, seed + 1))
                .bytes();
    }

    private static MemorySegment floats(long seed, int n) {
        return MemorySegment.ofArray(OnnxBytes.floats(OnnxBytes.weights(n, seed)));
    }

    private static MemorySegment bytes(long seed, int n) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return MemorySegment.ofArray(b);
    }

    /** {@code elfz ARGS}, its standard output. */
    static String elfz(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        System.setOut(new PrintStream(b, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(args);
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code, "elfz " + String.join(" ", args));
        return b.toString(StandardCharsets.UTF_8);
    }

    /**
     * Asserts that two reports agree in every field: every count, byte figure and share, the predictions and the
     * likely fine-tunes exactly; means and standard deviations within 1e-12 relative (they merge per slice on Spark,
     * per window on one machine: another order of summation). The in-memory table's size and limit are the one
     * exception: the Spark report has no table (0, 0, not saturated).
     */
    static void assertSameReport(JsonNode expected, JsonNode actual) {
        ObjectNode index = (ObjectNode) actual.get("chunk_index");
        assertEquals(0, index.get("memory_bytes").asLong());
        assertEquals(0, index.get("memory_limit").asLong());
        assertEquals(false, index.get("saturated").asBoolean());
        for (JsonNode n : List.of(expected, actual)) {
            for (String f : List.of("memory_bytes", "memory_limit", "saturated")) {
                ((ObjectNode) n.get("chunk_index")).remove(f);
            }
        }
        compare("", expected, actual);
    }

    /**
     * Fine-tunes: a base, two fine-tunes of it (a few values of one tensor changed), a copy of the base, and an
     * unrelated model of the same shape.
     */
    static Path tunes(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<TensorSpec> specs = List.of(
                new TensorSpec("embed", Dtype.F32, new long[] {512, 256}),
                new TensorSpec("dense", Dtype.F32, new long[] {256, 256}),
                new TensorSpec("bias", Dtype.F32, new long[] {256}));
        Path base = TestModels.write(dir.resolve("a-base.safetensors"), specs, Map.of(), 11);
        byte[] bytes = Files.readAllBytes(base);
        for (int k = 1; k <= 2; k++) {
            byte[] tuned = bytes.clone();
            for (int i = 0; i < 64 * k; i++) {
                tuned[tuned.length - 1500 - 8 * i] ^= 0x01; // low mantissa bits of the dense tensor
            }
            Files.write(dir.resolve("b-tune" + k + ".safetensors"), tuned);
        }
        Files.write(dir.resolve("c-copy.safetensors"), bytes);
        TestModels.write(dir.resolve("d-other.safetensors"), specs, Map.of(), 12);
        return dir;
    }

    private static void compare(String at, JsonNode e, JsonNode a) {
        if (e.isObject()) {
            assertEquals(fields(e), fields(a), at);
            e.fieldNames().forEachRemaining(f -> compare(at + "." + f, e.get(f), a.get(f)));
        } else if (e.isArray()) {
            assertEquals(e.size(), a.size(), at);
            for (int i = 0; i < e.size(); i++) {
                compare(at + "[" + i + "]", e.get(i), a.get(i));
            }
        } else if ((at.endsWith(".mean") || at.endsWith(".std")) && e.isNumber()) {
            assertEquals(e.asDouble(), a.asDouble(), 1e-12 * Math.max(1, Math.abs(e.asDouble())), at);
        } else {
            assertEquals(e, a, at);
        }
    }

    private static List<String> fields(JsonNode n) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> i = n.fieldNames(); i.hasNext(); ) {
            out.add(i.next());
        }
        return out;
    }
}
