package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.eval.OnnxEval;
import dev.elfz.io.AtomicFiles;
import dev.elfz.onnx.ExternalData;
import dev.elfz.onnx.OnnxBytes;
import dev.elfz.onnx.OnnxFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * all-MiniLM-L6-v2 in external-data form (every initializer of 1 KiB or more in model.onnx_data, the large ones at
 * 64 KiB boundaries, a tail no tensor references) through the command line: ONNX Runtime, lossless round trip, eval,
 * analyze, info, verify, and a model directory.
 */
class ExternalDataMiniLmTest {

    @TempDir
    static Path dir;

    static Path original;
    static Path model;
    static Path data;
    static int moved;

    @BeforeAll
    static void convert() throws IOException {
        original = OnnxBytes.miniLm(dir);
        Path ext = Files.createDirectories(dir.resolve("ext"));
        model = ext.resolve("model.onnx");
        moved = ExternalData.convert(original, model, "model.onnx_data", 1024);
        data = ext.resolve("model.onnx_data");
    }

    @Test
    void theConvertedModelRunsInOnnxRuntimeLikeTheOriginal() throws IOException {
        assertTrue(moved > 90 && Files.size(model) < 1_000_000, moved + " moved, model " + Files.size(model));
        try (OnnxFile f = OnnxFile.open(model)) {
            assertEquals(1, f.dataFiles().size());
            assertEquals(moved, f.dataFiles().getFirst().tensors().size());
            assertEquals(102, f.tensors().size() + moved);
            assertTrue(
                    f.dataFiles().getFirst().skeleton().byteSize() > ExternalData.ALIGNMENT,
                    "gaps between aligned tensors: "
                            + f.dataFiles().getFirst().skeleton().byteSize());
        }
        for (OnnxEval.Output o : OnnxEval.compare(original, model, OnnxEval.Inputs.generated(2, 16, 0, 1))
                .outputs()) {
            assertEquals(0.0, o.maxAbsError(), o.name());
        }
    }

    @Test
    void losslessRoundTripGivesBothFilesBackByteForByte() throws IOException {
        Path z = dir.resolve("lossless.elfz");
        run("compress", model, "-o", z, "--codec", "lossless", "-q").succeeds();
        Cli.Run info = run("info", z).succeeds();
        assertTrue(info.out().contains("an ONNX file with 1 external data file, 102 tensors"), info.out());
        JsonNode files = run("info", z, "--json").succeeds().json().get("files");
        assertEquals("onnx_data", files.get(1).get("kind").asText());
        assertEquals("model.onnx_data", files.get(1).get("path").asText());
        assertTrue(run("verify", model, z, "--json").succeeds().json().get("ok").asBoolean());

        Path out = Files.createDirectories(dir.resolve("back")).resolve("restored.onnx");
        run("decompress", z, "-o", out, "-q").succeeds();
        assertEquals(-1, Files.mismatch(model, out));
        assertEquals(-1, Files.mismatch(data, out.resolveSibling("model.onnx_data")));
        assertEquals(List.of("model.onnx_data", "restored.onnx"), Cli.listing(out.getParent()));
        // without -f, an existing data file is refused before anything is written
        Files.delete(out);
        run("decompress", z, "-o", out, "-q").failsWith("model.onnx_data", "already exists");
        assertEquals(List.of("model.onnx_data"), Cli.listing(out.getParent()));
        AtomicFiles.deleteRecursively(out.getParent());
    }

    @Test
    void elfThroughEvalKeepsTheOutputs() {
        JsonNode j = run("eval", model, "--codec", "elf", "--samples", "2", "--json")
                .succeeds()
                .json();
        JsonNode hidden = j.get("outputs").get(0);
        assertEquals("last_hidden_state", hidden.get("name").asText());
        assertTrue(hidden.get("cosine").asDouble() >= 0.9999, j.toString());
        long input = j.get("input_bytes").asLong();
        assertTrue(input > 90_000_000L, "the model and its data file: " + input);
        System.out.printf(
                "MiniLM external data, elf: ratio %.4f, cosine %.12f%n",
                j.get("ratio").asDouble(), hidden.get("cosine").asDouble());
    }

    @Test
    void analyzeCountsTheExternalTensors() {
        JsonNode j = run("analyze", model, "--json", "-q").succeeds().json();
        assertEquals(102, j.get("tensors").asLong(), j.get("files").toString());
        assertEquals(102, j.get("files").get(0).get("tensors").asLong());
    }

    @Test
    void aModelDirectoryStoresTheDataFileAsOnnxData() throws IOException {
        Path z = dir.resolve("dir.elfz");
        run("compress", model.getParent(), "-o", z, "--codec", "lossless", "-q").succeeds();
        JsonNode files = run("info", z, "--json").succeeds().json().get("files");
        assertEquals("onnx", files.get(0).get("kind").asText());
        assertEquals("onnx_data", files.get(1).get("kind").asText());
        Path out = dir.resolve("dir-back");
        run("decompress", z, "-o", out, "-q").succeeds();
        assertEquals(-1, Files.mismatch(model, out.resolve("model.onnx")));
        assertEquals(-1, Files.mismatch(data, out.resolve("model.onnx_data")));
        AtomicFiles.deleteRecursively(out);
    }
}
