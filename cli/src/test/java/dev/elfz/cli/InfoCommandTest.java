package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** elfz info: the table and --json, read from the index alone. */
class InfoCommandTest {

    @TempDir
    Path dir;

    @Test
    void tableListsEveryTensorWithItsCodecSizesAndExceptions() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path z = dir.resolve("m.elfz");
        run("compress", "-q", "--codec", "elf", in, "-o", z).succeeds();
        Cli.Run r = run("info", z).succeeds();
        assertEquals("", r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).contains("a safetensors file, 10 tensors, codecs {elf=4, raw=6}"), lines.get(0));
        assertTrue(
                lines.get(1)
                        .matches("file / tensor +dtype +shape +codec +original +stored +ratio +formula +exceptions"),
                lines.get(1));
        assertTrue(
                lines.get(2).matches("m\\.safetensors +safetensors +[\\d.]+ KB +[\\d.]+ KB +1\\.\\d{4}"), lines.get(2));
        // 3072 float32 = 12.29 KB; ELF: 24-bit codes, 8 bytes per exception, 4 bytes per chunk
        assertTrue(
                lines.get(3)
                        .matches(
                                "  embed\\.weight +F32 +\\[64, 48] +elf +12\\.29 KB +\\d\\.\\d\\d KB +1\\.\\d{4} +1\\.3333 +5"),
                lines.get(3));
        assertTrue(
                lines.get(4).matches("  norm\\.weight +F32 +\\[48] +raw +192 B +192 B +1\\.0000 +1\\.0000"),
                lines.get(4));
        assertTrue(lines.get(5).matches("  half +F16 +\\[3, 100] +elf .* 0"), lines.get(5));
        assertTrue(lines.get(11).matches("  empty +F32 +\\[0] +raw +0 B +0 B +1\\.0000 +1\\.0000"), lines.get(11));
        assertTrue(lines.get(12).matches("  scalar +F64 +\\[] +raw +8 B +8 B +1\\.0000 +1\\.0000"), lines.get(12));
        assertTrue(
                lines.get(13).matches("total \\(whole \\.elfz file\\) +[\\d.]+ KB +[\\d.]+ KB +1\\.\\d{4} +[\\d.]+ +5"),
                lines.get(13));
        assertEquals(14, lines.size());
    }

    @Test
    void jsonCountsAndSizesAddUp() throws IOException {
        Path model = Models.directory(dir, "model", 1);
        Path z = dir.resolve("model.elfz");
        run("compress", "-q", model, "--chunk-size", "1K").succeeds();
        JsonNode j = run("info", "--json", z).succeeds().json();
        assertEquals(z.toString(), j.get("file").asText());
        assertTrue(j.get("created_by").asText().startsWith("elfz "));
        assertEquals("directory", j.get("input").asText());
        assertEquals(Files.size(z), j.get("stored_bytes").asLong());
        assertEquals(20, j.get("tensors").asInt());
        assertEquals(2L * Models.F32_EXCEPTIONS.length, j.get("exceptions").asLong());
        assertEquals(4, j.get("codecs").get("elf").asInt());
        assertEquals(12, j.get("codecs").get("raw").asInt());
        assertEquals(4, j.get("codecs").get("lossless").asInt(), "auto: F16 and BF16 losslessly");
        long bytes = 0;
        List<String> kinds = new ArrayList<>();
        for (JsonNode f : j.get("files")) {
            bytes += f.get("bytes").asLong();
            kinds.add(f.get("kind").asText());
            assertEquals(
                    Files.size(model.resolve(f.get("path").asText())),
                    f.get("bytes").asLong());
            if (f.get("kind").asText().equals("blob")) {
                assertEquals("raw", f.get("codec").asText());
                assertEquals(f.get("bytes").asLong(), f.get("stored_bytes").asLong());
            } else {
                long stored = 0;
                for (JsonNode t : f.get("tensors")) {
                    stored += t.get("stored_bytes").asLong();
                    double ratio = t.get("stored_bytes").asLong() == 0
                            ? 1 // an empty tensor
                            : t.get("bytes").asDouble() / t.get("stored_bytes").asLong();
                    assertEquals(ratio, t.get("ratio").asDouble(), 1e-9, t.toString());
                    List<String> fields = new ArrayList<>();
                    t.fieldNames().forEachRemaining(fields::add);
                    assertEquals(
                            List.of(
                                    "name",
                                    "dtype",
                                    "shape",
                                    "codec",
                                    "bytes",
                                    "stored_bytes",
                                    "ratio",
                                    "exceptions",
                                    "error_bound",
                                    "formula_ratio"),
                            fields,
                            "the fields docs/cli.md lists");
                }
                assertTrue(stored < f.get("stored_bytes").asLong(), "the header is stored too");
            }
        }
        assertEquals(List.of("blob", "safetensors", "safetensors", "blob", "blob"), kinds);
        assertEquals(bytes, j.get("bytes").asLong());
        assertEquals((double) bytes / Files.size(z), j.get("ratio").asDouble(), 1e-12);
    }

    @Test
    void damagedOrMissingFilesAreOneLineErrors() throws IOException {
        Path z = Files.writeString(dir.resolve("x.elfz"), "not an elfz file at all");
        run("info", z).failsWith(z.toString(), "not an .elfz file");
        run("info", dir.resolve("none.elfz")).failsWith(dir.resolve("none.elfz") + ": no such file or directory");
        run("info").usageError("FILE.elfz");
    }
}
