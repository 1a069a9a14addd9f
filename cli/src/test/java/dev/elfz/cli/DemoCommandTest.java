package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.kernel.Kernels;
import dev.elfz.kernel.NativeKernel;
import dev.elfz.onnx.OnnxBytes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** elfz demo on all-MiniLM-L6-v2: every mode compressed, decompressed and run; ELF on every kernel. */
class DemoCommandTest {

    @TempDir
    Path dir;

    @Test
    void everyModeAndEveryKernelOnMiniLm() throws Exception {
        Path model = OnnxBytes.miniLm(dir);
        Cli.Run r = run("demo", "-q", "--json", "--samples", "1", "--rounds", "1", model.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();

        List<String> flags = new ArrayList<>();
        j.get("modes").forEach(m -> flags.add(m.get("flags").asText()));
        assertEquals(
                List.of(
                        "--codec lossless",
                        "--codec elf",
                        "--error-bound 1e-04",
                        "--codec uniform --per-channel --bits 8",
                        "--codec kmeans --bits 4",
                        "--codec elf --prune 0.3"),
                flags);
        JsonNode lossless = j.get("modes").get(0), elf = j.get("modes").get(1);
        assertEquals(1.0, lossless.get("cosine").asDouble(), 0.0, "lossless gives the same outputs");
        assertEquals(0.0, lossless.get("max_abs_error").asDouble(), 0.0);
        assertTrue(lossless.get("ratio").asDouble() > 1.1, lossless.toString());
        assertTrue(elf.get("cosine").asDouble() >= 0.9999, elf.toString());
        assertTrue(elf.get("ratio").asDouble() > lossless.get("ratio").asDouble(), elf.toString());
        j.get("modes").forEach(m -> {
            assertEquals("last_hidden_state", m.get("output").asText(), m.toString());
            assertTrue(m.get("compress_mb_per_s").asDouble() > 0
                    && m.get("decompress_mb_per_s").asDouble() > 0);
        });

        List<String> kernels = new ArrayList<>();
        j.get("kernels").forEach(k -> {
            kernels.add(k.get("kernel").asText());
            assertTrue(k.get("max_error").asDouble() <= 0x1p-24, k.toString()); // every value checked by the demo
            double ratio = k.get("ratio").asDouble();
            assertTrue(ratio > 1.30 && ratio < 4.0 / 3, k.toString()); // 24 of 32 bits, less the exceptions
        });
        List<String> expected = new ArrayList<>();
        for (var k : Kernels.available()) {
            if (k instanceof NativeKernel) {
                NativeKernel.supportedIsas().forEach(isa -> expected.add(null));
            } else {
                expected.add(k.name());
            }
        }
        assertEquals(expected.size(), kernels.size(), kernels.toString());
        assertTrue(
                kernels.containsAll(expected.stream().filter(Objects::nonNull).toList()), kernels.toString());
    }

    @Test
    void aMissingOrWrongModelIsOneLine() {
        run("demo", dir.resolve("none.onnx")).failsWith(dir.resolve("none.onnx").toString());
        run("demo", "model.safetensors").usageError("MODEL must be an .onnx file");
    }
}
