package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.ElfzReader;
import dev.elfz.ElfzTensor;
import dev.elfz.kernel.Kernels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** elfz compress: outputs, the summary line, --json, -f, -T, --codec, --chunk-size, usage errors. */
class CompressCommandTest {

    @TempDir
    Path dir;

    @Test
    void writesInDotElfzAndSaysSoInOneZstdLikeLine() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Cli.Run r = run("compress", in).succeeds();
        Path out = dir.resolve("m.safetensors.elfz");
        assertTrue(Files.size(out) < Files.size(in), "smaller");
        assertEquals("", r.out());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(
                lines.getFirst()
                        .matches(".*m\\.safetensors : +\\d+\\.\\d\\d%   \\([\\d.]+ KB => [\\d.]+ KB, "
                                + ".*m\\.safetensors\\.elfz\\) \\d\\.\\d{3}x in [\\d.]+ s \\([\\d.]+ MB/s\\)"),
                lines.getFirst());
        try (ElfzReader z = ElfzReader.open(out)) {
            assertEquals(
                    Models.NAMES, z.tensors().stream().map(ElfzTensor::name).toList());
            assertEquals(
                    Models.AUTO_CODECS,
                    z.tensors().stream().map(t -> t.codec().id()).toList());
        }
    }

    @Test
    void fsyncWritesTheSameArchive() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        run("compress", "-q", in, "-o", dir.resolve("a.elfz"), "-T", "2", "--chunk-size", "1K")
                .succeeds();
        run("compress", "-q", "--fsync", in, "-o", dir.resolve("b.elfz"), "-T", "1", "--chunk-size", "1K")
                .succeeds();
        assertEquals(-1, Files.mismatch(dir.resolve("a.elfz"), dir.resolve("b.elfz")));
    }

    @Test
    void quietPrintsNothing() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Cli.Run r = run("compress", "-q", in, "-o", dir.resolve("q.elfz")).succeeds();
        assertEquals("", r.out() + r.err());
        assertTrue(Files.exists(dir.resolve("q.elfz")));
    }

    @Test
    void jsonSummarisesSizesCodecsAndEveryTensor() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path out = dir.resolve("m.elfz");
        JsonNode j = run("compress", in, "-o", out, "--json", "--codec", "ELF", "-T", "2", "--chunk-size", "1K")
                .succeeds()
                .json();
        assertEquals(in.toString(), j.get("input").asText());
        assertEquals(out.toString(), j.get("output").asText());
        assertEquals(Files.size(in), j.get("input_bytes").asLong());
        assertEquals(Files.size(out), j.get("output_bytes").asLong());
        assertEquals((double) Files.size(in) / Files.size(out), j.get("ratio").asDouble(), 1e-12);
        assertTrue(j.get("seconds").asDouble() > 0 && j.get("mb_per_s").asDouble() > 0, j.toString());
        assertEquals(2, j.get("threads").asInt());
        assertEquals(Kernels.best().name(), j.get("kernel").asText());
        assertEquals("elf", j.get("codec").asText());
        assertEquals(1024, j.get("chunk_bytes").asLong());
        assertEquals(
                Map.of("elf", 4, "raw", 6),
                Map.of(
                        "elf",
                        j.get("codecs").get("elf").asInt(),
                        "raw",
                        j.get("codecs").get("raw").asInt()));
        JsonNode file = j.get("files").get(0);
        assertEquals("m.safetensors", file.get("path").asText());
        assertEquals("safetensors", file.get("kind").asText());
        assertEquals("pt", file.get("metadata").get("format").asText());
        List<String> names = new ArrayList<>(), codecs = new ArrayList<>();
        long bytes = 0;
        for (JsonNode t : file.get("tensors")) {
            names.add(t.get("name").asText());
            codecs.add(t.get("codec").asText());
            bytes += t.get("bytes").asLong();
            assertTrue(t.get("stored_bytes").asLong() <= t.get("bytes").asLong(), t.toString());
        }
        assertEquals(Models.NAMES, names);
        assertEquals(Models.ELF_CODECS, codecs);
        JsonNode embed = file.get("tensors").get(0);
        assertEquals("F32", embed.get("dtype").asText());
        assertEquals("[64,48]", embed.get("shape").toString());
        assertEquals(Models.F32_EXCEPTIONS.length, embed.get("exceptions").asLong());
        assertEquals(0x1p-24, embed.get("error_bound").asDouble());
        assertEquals("[]", file.get("tensors").get(9).get("shape").toString());
        assertTrue(bytes < file.get("bytes").asLong() && file.get("bytes").asLong() == Files.size(in));
        try (ElfzReader z = ElfzReader.open(out)) {
            assertEquals(1024, z.tensors().getFirst().data().chunkBytes(), "--chunk-size reached the container");
        }
    }

    @Test
    void threadsZeroMeansEveryCore() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        JsonNode j = run("compress", in, "--json", "-T", "0").succeeds().json();
        assertEquals(
                Runtime.getRuntime().availableProcessors(), j.get("threads").asInt());
    }

    @Test
    void anExistingOutputStaysUnlessForced() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path out = Files.writeString(dir.resolve("m.safetensors.elfz"), "precious");
        Files.setLastModifiedTime(out, FileTime.fromMillis(1_000_000_000_000L));
        run("compress", in).failsWith(out.toString(), "already exists", "-f");
        assertEquals("precious", Files.readString(out));
        assertEquals(FileTime.fromMillis(1_000_000_000_000L), Files.getLastModifiedTime(out));
        assertEquals(List.of("m.safetensors", "m.safetensors.elfz"), Cli.listing(dir));

        run("compress", "-f", "-q", in).succeeds();
        assertNotEquals(8, Files.size(out));
        try (ElfzReader z = ElfzReader.open(out)) {
            assertEquals(10, z.tensors().size());
        }
    }

    @Test
    void aModelDirectoryBecomesOneFile() throws IOException {
        Path model = Models.directory(dir, "model", 1);
        JsonNode j = run("compress", model, "--json").succeeds().json();
        assertTrue(Files.isRegularFile(dir.resolve("model.elfz")));
        List<String> paths = new ArrayList<>(), kinds = new ArrayList<>();
        j.get("files").forEach(f -> {
            paths.add(f.get("path").asText());
            kinds.add(f.get("kind").asText());
        });
        assertEquals(
                List.of(
                        "config.json",
                        "model-00001-of-00002.safetensors",
                        "model-00002-of-00002.safetensors",
                        "model.safetensors.index.json",
                        "tokenizer/vocab.txt"),
                paths);
        assertEquals(List.of("blob", "safetensors", "safetensors", "blob", "blob"), kinds);
        assertEquals(4, j.get("codecs").get("elf").asInt(), "embed.weight and double of both shards");
    }

    @Test
    void verboseAddsALinePerTensor() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Cli.Run r = run("compress", "-v", in).succeeds();
        for (String name : Models.NAMES) {
            assertTrue(r.err().lines().anyMatch(l -> l.startsWith("  " + name + " ")), name + " missing:\n" + r.err());
        }
        assertTrue(r.err().lines().anyMatch(l -> l.matches("  embed\\.weight +F32 +\\[64, 48] +elf .* 5")), r.err());
        assertTrue(r.err().lines().toList().getLast().contains("m.safetensors.elfz)"), r.err());
    }

    @Test
    void usageErrorsExitTwoInOneLine() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        run("compress", in, "--codec", "zstd")
                .usageError(
                        "--codec", "'zstd' is not auto, elf, lossless, raw, uniform or kmeans", "elfz compress --help");
        run("compress", in, "--bits", "9", "--codec", "uniform").usageError("bits must be 1 to 8, not 9");
        run("compress", in, "--group-size", "32")
                .usageError("--group-size, --per-channel and --symmetric need --codec uniform");
        run("compress", in, "--codec", "uniform", "--per-channel", "--group-size", "8")
                .usageError("not both");
        run("compress", in, "--codec", "uniform", "--per-channel", "--prune", "0.5")
                .usageError("does not combine");
        run("compress", in, "--prune", "1.5").usageError("prune fraction must be between 0 and 1");
        run("compress", in, "--prune", "0.1", "--prune-threshold", "0.01").usageError("not both");
        run("compress", in, "--codec", "uniform", "--symmetric", "--bits", "1").usageError("2 bits or more");
        run("compress", in, "--chunk-size", "12").usageError("--chunk-size must be between 64 bytes and 1G");
        run("compress", in, "--chunk-size", "2G").usageError("--chunk-size");
        run("compress", in, "--chunk-size", "1X").usageError("'1X' is not a size");
        run("compress", in, "-T", "-1").usageError("-T must be 0");
        run("compress", dir.resolve("missing"), "-T", "-1").usageError("-T must be 0"); // usage before files
        run("compress", in, "-T", "many").usageError("--threads", "'many' is not an int");
        run("compress").usageError("IN");
        run("compress", in, "extra").usageError("extra");
        run("compress", in, "--no-such-option").usageError("--no-such-option");
        assertEquals(List.of("m.safetensors"), Cli.listing(dir));
    }

    @Test
    void chunkSizesReadLikeZstds() {
        Units.SizeConverter c = new Units.SizeConverter();
        assertEquals(65536L, c.convert("65536"));
        assertEquals(256L << 10, c.convert("256K"));
        assertEquals(1L << 20, c.convert("1M"));
        assertEquals(1L << 20, c.convert("1MiB"));
        assertEquals(1L << 30, c.convert("1g"));
    }
}
