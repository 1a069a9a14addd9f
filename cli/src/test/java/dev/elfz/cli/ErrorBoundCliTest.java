package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --codec lossless and --error-bound from the command line: the bound reaches the codecs and verify checks it. */
class ErrorBoundCliTest {

    @TempDir
    Path dir;

    @Test
    void losslessGivesBackTheSameFile() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 3);
        Path z = dir.resolve("m.elfz");
        run("compress", "-q", "--codec", "lossless", in, "-o", z).succeeds();
        Path back = dir.resolve("back.safetensors");
        run("decompress", "-q", z, "-o", back).succeeds();
        assertEquals(-1, Files.mismatch(in, back));
        JsonNode report = new ObjectMapper()
                .readTree(run("verify", "--json", in, z).succeeds().out());
        for (JsonNode check : report.get("checks")) {
            assertEquals(0.0, check.get("max_error").asDouble(), check.toString());
        }
    }

    @Test
    void everyFloatStaysWithinTheBound() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 4);
        Path z = dir.resolve("m.elfz");
        run("compress", "-q", "--error-bound", "1e-3", in, "-o", z).succeeds();
        JsonNode info =
                new ObjectMapper().readTree(run("info", "--json", z).succeeds().out());
        assertTrue(info.get("codecs").has("grid"), info.get("codecs").toString());
        JsonNode report = new ObjectMapper()
                .readTree(run("verify", "--json", in, z).succeeds().out());
        assertTrue(report.get("ok").asBoolean(), report.toString());
        boolean sawGrid = false;
        for (JsonNode check : report.get("checks")) {
            assertTrue(check.get("max_error").asDouble() <= 1e-3, check.toString());
            if (check.get("codec").asText().equals("grid")) {
                sawGrid = true;
                assertEquals(1e-3, check.get("bound").asDouble(), check.toString());
            }
        }
        assertTrue(sawGrid, report.toString());
    }

    @Test
    void aBoundThatCannotApplyIsAUsageError() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 5);
        for (List<String> bad : List.of(
                List.of("--error-bound", "-1e-4"),
                List.of("--error-bound", "NaN"),
                List.of("--error-bound", "Infinity"),
                List.of("--error-bound", "1e-4", "--codec", "elf"),
                List.of("--error-bound", "abc"))) {
            Object[] args = new Object[bad.size() + 2];
            args[0] = "compress";
            for (int i = 0; i < bad.size(); i++) {
                args[i + 1] = bad.get(i);
            }
            args[args.length - 1] = in;
            run(args).usageError("--error-bound");
        }
        assertEquals(List.of("m.safetensors"), Cli.listing(dir), "no output left behind");
    }
}
