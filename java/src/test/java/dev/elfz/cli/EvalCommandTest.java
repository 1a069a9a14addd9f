package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.onnx.OnnxBytes;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** elfz eval on all-MiniLM-L6-v2: the --json fields, exact outputs when lossless, usage errors. */
class EvalCommandTest {

    @TempDir
    Path dir;

    @Test
    void losslessGivesTheSameOutputsAndElfNearlySo() {
        Path model = OnnxBytes.miniLm(dir);
        JsonNode j = run("eval", model, "--codec", "lossless", "--samples", "2", "--json").succeeds().json();
        for (String f : new String[] {"model", "codec", "input_bytes", "compressed_bytes", "ratio", "samples", "sequence",
                "max_id", "seed", "outputs"}) {
            assertTrue(j.has(f), f + " in " + j);
        }
        JsonNode out = j.get("outputs").get(0);
        assertEquals("last_hidden_state", out.get("name").asText());
        assertEquals(1.0, out.get("cosine").asDouble(), 1e-12);
        assertEquals(0.0, out.get("max_abs_error").asDouble());
        assertEquals(1.0, out.get("argmax_agreement").asDouble());
        Cli.Run elf = run("eval", model, "--samples", "2").succeeds();
        assertTrue(elf.out().contains("last_hidden_state"), elf.out());
        assertEquals(java.util.List.of("all-minilm-l6-v2.onnx"), Cli.listing(dir), "nothing left beside the model");
    }

    @Test
    void usageErrors() {
        run("eval", dir.resolve("m.safetensors")).usageError("MODEL must be an .onnx file");
        run("eval", dir.resolve("m.onnx"), "--samples", "0").usageError("must be positive");
    }
}
