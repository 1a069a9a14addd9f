package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.analyze.CodecEstimate;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** elfz analyze: the tables, --json, and bad input. */
class AnalyzeCommandTest {

    @TempDir
    Path dir;

    @Test
    void tablesForAModelDirectoryWithACopiedShard() throws IOException {
        Path model = Models.directory(dir, "model", 1);
        Files.copy(model.resolve("model-00001-of-00002.safetensors"), dir.resolve("copy.safetensors"));
        Cli.Run r = run("analyze", dir).succeeds();
        assertEquals("", r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).matches("3 files \\(3 safetensors, 0 elfz\\), 30 tensors, [\\d.]+ KB of tensors"),
                lines.get(0));
        assertTrue(lines.get(2).matches("dtype +layers +layers % +size +size % +avg params +avg size"), lines.get(2));
        // Models.file: F32 embed, norm, empty; F16; BF16; F64 double, scalar; I64; U8; BOOL - three times
        assertTrue(lines.stream().anyMatch(l -> l.matches("BOOL +3 +10\\.00 +9 B +0\\.\\d\\d +3\\.0 +3 B")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("F32 +9 +30\\.00 .*")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("total +30 +100\\.00 +[\\d.]+ KB +100\\.00 .*")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("dtype +values +in \\(-1,1\\) % +min +max +mean +std +NaN +Inf")),
                r.out());
        // shard 2 repeats two tensors of shard 1 (the empty F32 [0] and the BOOL mask, the same in every
        // Models.file); the copy repeats all 10 of shard 1: 12 duplicates in all
        JsonNode j = run("analyze", "--json", dir).succeeds().json();
        assertEquals(12, j.get("total").get("duplication").get("duplicate_layers").asLong());
        assertTrue(lines.stream().anyMatch(l -> l.matches("total +[\\d.]+ KB +12 .*")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("chunks: ")), r.out());
        // the estimate: every chunk sampled (the floats fit the budget), one row per mode
        assertTrue(lines.stream().anyMatch(l -> l.matches("elfz compress, estimated from [\\d.]+ KB of float values .*")),
                r.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("lossless +--codec lossless +[\\d.]+ KB +\\d+\\.\\d{3}")),
                r.out());
        assertTrue(lines.getLast().matches("prune 90% \\+ elf +--codec elf --prune 0\\.9 +[\\d.]+ KB +\\d+\\.\\d{3}"),
                lines.getLast());
    }

    @Test
    void jsonFields() throws IOException {
        Path f = Models.file(dir, "m.safetensors", 3);
        run("compress", "-q", f).succeeds();
        JsonNode j = run("analyze", "--json", dir).succeeds().json();
        assertEquals(2, j.get("files").size());
        List<String> kinds = new ArrayList<>();
        j.get("files").forEach(x -> kinds.add(x.get("kind").asText()));
        assertEquals(List.of("safetensors", "elfz"), kinds);
        for (String field : List.of("path", "kind", "bytes", "tensors", "tensor_bytes")) {
            assertTrue(j.get("files").get(0).has(field), field);
        }
        assertEquals(20, j.get("tensors").asLong());
        JsonNode f32 = null;
        for (JsonNode d : j.get("dtypes")) {
            for (String field : List.of("dtype", "layers", "layer_share", "bytes", "byte_share", "parameters",
                    "average_parameters", "average_bytes", "duplication")) {
                assertTrue(d.has(field), field + " in " + d);
            }
            if (d.get("dtype").asText().equals("F32")) {
                f32 = d;
            }
            if (d.get("dtype").asText().equals("I64")) {
                assertFalse(d.has("values"), "no values for integers");
            }
        }
        assertEquals(6, f32.get("layers").asLong(), "3 in each file");
        JsonNode v = f32.get("values");
        assertEquals(64 * 48 + 48, v.get("values").asLong(), "values of the safetensors file only");
        assertEquals(1, v.get("nan").asLong());
        assertEquals(1, v.get("inf").asLong());
        assertEquals(-2, v.get("min").asDouble());
        for (String field : List.of("in_unit", "in_unit_share", "max", "mean", "std")) {
            assertTrue(v.has(field), field);
        }
        JsonNode dup = j.get("total").get("duplication");
        for (String field : List.of("scanned_bytes", "duplicate_layers", "duplicate_layer_bytes", "fixed4k_bytes",
                "fixed512_bytes", "cdc_bytes")) {
            assertTrue(dup.has(field), field);
        }
        assertEquals(j.get("files").get(0).get("tensor_bytes").asLong(),
                dup.get("scanned_bytes").asLong());
        JsonNode c = j.get("chunk_index");
        for (String field : List.of("fixed4k_chunks", "fixed512_chunks", "cdc_chunks", "distinct_fixed4k",
                "distinct_fixed512", "distinct_cdc", "memory_bytes", "memory_limit", "saturated")) {
            assertTrue(c.has(field), field);
        }
        JsonNode p = j.get("predictions");
        assertEquals(CodecEstimate.MODES.size(), p.size());
        for (String field : List.of("mode", "flags", "input_bytes", "predicted_bytes", "ratio", "sampled_bytes",
                "container_bytes")) {
            assertTrue(p.get(0).has(field), field);
        }
        assertEquals("elf", p.get(0).get("mode").asText());
    }

    @Test
    void plotWritesAnSvgHistogram() throws Exception {
        Path f = Models.file(dir, "m.safetensors", 3);
        Path svg = dir.resolve("h.svg");
        run("analyze", "--plot", svg, f).succeeds();
        String text = Files.readString(svg);
        // well-formed XML with an svg root: one step line per float dtype
        org.w3c.dom.Document doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(svg.toFile());
        assertEquals("svg", doc.getDocumentElement().getTagName());
        assertEquals(4, doc.getElementsByTagName("polyline").getLength(), "F16, BF16, F32, F64");
        assertTrue(text.contains(">(-1, 1)<"), "the band is marked");
        run("analyze", "--plot", dir.resolve("h.png"), f).usageError("only .svg");
        JsonNode h = run("analyze", "--json", f).succeeds().json().get("total").get("values").get("histogram");
        long sum = h.get("below").asLong() + h.get("above").asLong();
        for (JsonNode c : h.get("counts")) {
            sum += c.asLong();
        }
        assertEquals(200, h.get("counts").size());
        long finite = 0;
        for (JsonNode d : run("analyze", "--json", f).succeeds().json().get("dtypes")) {
            if (d.has("values")) {
                JsonNode v = d.get("values");
                finite += v.get("values").asLong() - v.get("nan").asLong() - v.get("inf").asLong();
            }
        }
        assertEquals(finite, sum, "every finite value in one bin");
    }

    @Test
    void badInputIsOneLineNamingTheFile() throws IOException {
        Path good = Models.file(dir, "good.safetensors", 1);
        byte[] bytes = Files.readAllBytes(good);
        Path cut = Files.write(Files.createDirectories(dir.resolve("sub")).resolve("cut.safetensors"),
                Arrays.copyOf(bytes, bytes.length - 100), java.nio.file.StandardOpenOption.CREATE_NEW);
        run("analyze", dir).failsWith(cut.toString(), "truncated download?");
        run("analyze", "--json", dir).failsWith(cut.toString());
        Path lfs = Files.writeString(dir.resolve("lfs.safetensors"), "version https://git-lfs.github.com/spec/v1\n");
        run("analyze", lfs).failsWith(lfs.toString(), "git-LFS pointer");
        Path fake = Files.writeString(dir.resolve("fake.elfz"), "not an elfz");
        run("analyze", fake).failsWith(fake.toString(), "not an .elfz file");
        run("analyze", dir.resolve("missing")).failsWith(dir.resolve("missing") + ": no such file or directory");
        Path txt = Files.writeString(dir.resolve("notes.txt"), "x");
        run("analyze", txt).failsWith(txt + ": not a .safetensors or .elfz file");
        run("analyze").usageError("PATH");
    }
}
