package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static dev.elfz.onnx.OnnxBytes.node;
import static dev.elfz.onnx.OnnxBytes.tensor;
import static dev.elfz.onnx.OnnxBytes.valueInfo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.onnx.OnnxBytes;
import dev.elfz.onnx.OnnxFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights inside nodes: a Constant's value and the initializers of an If's branches are tensors like the graph's
 * own when they hold at least 4 KiB (small constants stay in the skeleton), and a model made of them round-trips and
 * runs in ONNX Runtime.
 */
class NestedTensorsTest {

    private static final int FLOAT = 1;
    private static final int BOOL = 9;
    private static final int N = 2048; // 8 KiB of float32

    @TempDir
    Path dir;

    private static OnnxBytes attribute(String name, int type) {
        return new OnnxBytes().string(1, name).varint(20, type);
    }

    private static OnnxBytes branch(String name, String weight, long seed) {
        return new OnnxBytes()
                .message(1, node("Identity", List.of(weight), name + "_out"))
                .string(2, name)
                .message(5, tensor(weight, FLOAT, N).bytes(9, OnnxBytes.floats(OnnxBytes.weights(N, seed))))
                .message(12, valueInfo(name + "_out", FLOAT, N));
    }

    /** y = x + Constant w (8 KiB); z = If(Constant true) then T else E (8 KiB each); a small Constant beside. */
    private Path model() throws IOException {
        OnnxBytes g = new OnnxBytes()
                .message(
                        1,
                        node("Constant", List.of(), "w")
                                .string(3, "const_w")
                                .message(
                                        5,
                                        attribute("value", 4)
                                                .message(
                                                        5,
                                                        tensor("", FLOAT, 1, N)
                                                                .bytes(9, OnnxBytes.floats(OnnxBytes.weights(N, 1))))))
                .message(
                        1,
                        node("Constant", List.of(), "cond")
                                .message(
                                        5,
                                        attribute("value", 4)
                                                .message(5, tensor("", BOOL).bytes(9, new byte[] {1}))))
                .message(1, node("Add", List.of("x", "w"), "y"))
                .message(
                        1,
                        node("If", List.of("cond"), "z")
                                .string(3, "if0")
                                .message(5, attribute("then_branch", 5).message(6, branch("then", "T", 2)))
                                .message(5, attribute("else_branch", 5).message(6, branch("else", "E", 3))))
                .string(2, "nested")
                .message(11, valueInfo("x", FLOAT, 1, N))
                .message(12, valueInfo("y", FLOAT, 1, N))
                .message(12, valueInfo("z", FLOAT, N));
        return Files.write(dir.resolve("nested.onnx"), OnnxBytes.model(g));
    }

    @Test
    void constantsAndBranchWeightsAreTensors() throws IOException {
        Path m = model();
        try (OnnxFile f = OnnxFile.open(m)) {
            assertEquals(
                    List.of("const_w/value", "if0/then_branch/T", "if0/else_branch/E"),
                    f.tensors().stream().map(TensorInfo::name).toList(),
                    "the 1-byte condition stays in the skeleton");
            assertTrue(f.tensors().stream().allMatch(t -> t.byteSize() == 4L * N));
        }
        run("compress", "-q", "--codec", "lossless", m, "-o", dir.resolve("l.elfz"))
                .succeeds();
        run("decompress", "-q", dir.resolve("l.elfz"), "-o", dir.resolve("back.onnx"))
                .succeeds();
        assertArrayEquals(Files.readAllBytes(m), Files.readAllBytes(dir.resolve("back.onnx")));
        JsonNode info = run("info", "--json", dir.resolve("l.elfz")).succeeds().json();
        assertEquals(3, info.get("tensors").asInt(), info.toString());
    }

    @Test
    void theModelRunsTheSameAfterLosslessAndCloseAfterElf() throws IOException {
        Path m = model();
        JsonNode lossless =
                run("eval", "--json", "--codec", "lossless", m).succeeds().json();
        lossless.get("outputs")
                .forEach(o -> assertEquals(0.0, o.get("max_abs_error").asDouble(), o.toString()));
        JsonNode elf = run("eval", "--json", "--codec", "elf", m).succeeds().json();
        assertEquals(2, elf.get("outputs").size(), elf.toString());
        elf.get("outputs").forEach(o -> {
            assertTrue(o.get("cosine").asDouble() >= 0.9999, o.toString());
            assertTrue(o.get("max_abs_error").asDouble() > 0, "ELF coded the nested weights: " + o);
        });
        assertTrue(elf.get("ratio").asDouble() > 1.2, "the nested weights are coded: " + elf.get("ratio"));
    }
}
