package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** elfz decompress: round trips of files and directories, default names, -f, --json. */
class DecompressCommandTest {

    @TempDir
    Path dir;

    @Test
    void rawGivesTheSameBytesUnderTheDefaultName() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        run("compress", "-q", "--codec", "raw", "--chunk-size", "1K", in).succeeds();
        Path kept = Files.move(in, dir.resolve("original.safetensors"));
        Cli.Run r = run("decompress", dir.resolve("m.safetensors.elfz")).succeeds();
        assertEquals(-1, Files.mismatch(kept, in));
        assertEquals("", r.out());
        assertTrue(
                r.err()
                        .strip()
                        .matches(".*m\\.safetensors\\.elfz : [\\d.]+ KB => [\\d.]+ KB, .*m\\.safetensors in "
                                + "[\\d.]+ s \\([\\d.]+ MB/s\\)"),
                r.err());
    }

    @Test
    void fsyncGivesTheSameFilesAndLeavesNothingElse() throws IOException {
        Path model = Models.directory(dir, "model", 2);
        Path z = dir.resolve("model.elfz");
        run("compress", "-q", "--codec", "lossless", "--chunk-size", "1K", model)
                .succeeds();
        Path plain = dir.resolve("plain");
        Path synced = dir.resolve("synced");
        run("decompress", "-q", "-T", "2", z, "-o", plain).succeeds();
        run("decompress", "-q", "-T", "2", "--fsync", z, "-o", synced).succeeds();
        assertEquals(Cli.listing(model), Cli.listing(synced));
        for (String p : Cli.listing(model)) {
            if (Files.isRegularFile(model.resolve(p))) {
                assertEquals(-1, Files.mismatch(model.resolve(p), synced.resolve(p)), p);
                assertEquals(-1, Files.mismatch(model.resolve(p), plain.resolve(p)), p);
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(
                    List.of("model", "model.elfz", "plain", "synced"),
                    files.map(f -> f.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void elfStaysWithinTheBoundAndKeepsEverythingElse() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path z = dir.resolve("m.elfz");
        run("compress", "-q", "--codec", "elf", "--chunk-size", "1K", in, "-o", z)
                .succeeds();
        Path back = dir.resolve("back.safetensors");
        run("decompress", "-q", "-T", "1", z, "-o", back).succeeds();
        run("verify", "-q", in, z).succeeds();
        run("verify", "-q", back, z).succeeds(); // the decompressed file is what the archive decodes to
        try (SafetensorsFile a = SafetensorsFile.open(in);
                SafetensorsFile b = SafetensorsFile.open(back)) {
            assertEquals(-1, a.headerBytes().mismatch(b.headerBytes()), "the header byte for byte");
            assertEquals(a.metadata(), b.metadata());
            for (TensorInfo t : a.tensors()) {
                boolean lossy =
                        List.of("embed.weight", "half", "brain", "double").contains(t.name());
                assertEquals(lossy, a.data(t).mismatch(b.data(b.tensor(t.name()))) != -1, t.name());
            }
            // the exceptions come back exactly, -0.0 keeps its sign
            var embed = b.data(b.tensor("embed.weight"));
            for (int i = 0; i < Models.F32_EXCEPTIONS.length; i++) {
                assertEquals(
                        Float.floatToRawIntBits(Models.F32_EXCEPTIONS[i]),
                        Float.floatToRawIntBits(embed.getAtIndex(Models.F32, 100 * i + 7)));
            }
            assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(embed.getAtIndex(Models.F32, 3)));
        }
    }

    @Test
    void directoriesComeBackWholeWithSubdirectories() throws IOException {
        Path model = Models.directory(dir, "model", 1);
        Path z = dir.resolve("model.elfz");
        run("compress", "-q", "--codec", "raw", model).succeeds();
        Path back = dir.resolve("back");
        JsonNode j = run("decompress", z, "-o", back, "--json").succeeds().json();
        assertEquals(Cli.listing(model), Cli.listing(back));
        for (String p : Cli.listing(model)) {
            if (Files.isRegularFile(model.resolve(p))) {
                assertEquals(-1, Files.mismatch(model.resolve(p), back.resolve(p)), p);
            }
        }
        assertEquals(z.toString(), j.get("input").asText());
        assertEquals(back.toString(), j.get("output").asText());
        assertEquals(Files.size(z), j.get("input_bytes").asLong());
        long total = 0;
        for (String p : Cli.listing(model)) {
            total += Files.isRegularFile(model.resolve(p)) ? Files.size(model.resolve(p)) : 0;
        }
        assertEquals(total, j.get("output_bytes").asLong());
        assertEquals(5, j.get("files").asInt());
        assertEquals(20, j.get("tensors").asInt());
        assertTrue(j.get("threads").asInt() >= 1
                && j.hasNonNull("kernel")
                && j.get("seconds").asDouble() > 0);
    }

    @Test
    void aDirectoryUnderElfKeepsItsOtherFilesExactly() throws IOException {
        Path model = Models.directory(dir, "model", 1);
        Path z = dir.resolve("m.elfz");
        run("compress", "-q", "--codec", "elf", model, "-o", z).succeeds();
        Path back = dir.resolve("back");
        run("decompress", "-q", z, "-o", back).succeeds();
        run("verify", "-q", model, z).succeeds();
        for (String blob : List.of("config.json", "model.safetensors.index.json", "tokenizer/vocab.txt")) {
            assertEquals(-1, Files.mismatch(model.resolve(blob), back.resolve(blob)), blob);
        }
        try (SafetensorsFile a = SafetensorsFile.open(model.resolve("model-00002-of-00002.safetensors"));
                SafetensorsFile b = SafetensorsFile.open(back.resolve("model-00002-of-00002.safetensors"))) {
            assertEquals(a.tensors(), b.tensors());
            var x = a.data(a.tensor("embed.weight"));
            var y = b.data(b.tensor("embed.weight"));
            for (long i = 0; i < x.byteSize() / 4; i++) {
                float u = x.getAtIndex(Models.F32, i), v = y.getAtIndex(Models.F32, i);
                assertTrue(
                        Math.abs(u) >= 1 || Float.isNaN(u)
                                ? Float.floatToRawIntBits(u) == Float.floatToRawIntBits(v)
                                : Math.abs((double) u - v) <= 0x1p-24,
                        i + ": " + u + " " + v);
            }
        }
    }

    @Test
    void withoutDotElfzTheOutputMustBeGiven() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path z = dir.resolve("archive.bin");
        run("compress", "-q", in, "-o", z).succeeds();
        run("decompress", z).failsWith(z.toString(), "does not end in .elfz", "-o");
        run("decompress", "-q", z, "-o", dir.resolve("x.safetensors")).succeeds();
    }

    @Test
    void anExistingOutputStaysUnlessForced() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path z = dir.resolve("m.safetensors.elfz");
        run("compress", "-q", in).succeeds();
        byte[] original = Files.readAllBytes(in);
        Files.writeString(in, "precious");
        run("decompress", z).failsWith(in.toString(), "already exists", "use -f");
        assertEquals("precious", Files.readString(in));
        assertEquals(List.of("m.safetensors", "m.safetensors.elfz"), Cli.listing(dir));
        run("decompress", "-f", "-q", z).succeeds();
        assertNotEquals(8, Files.size(in));
        assertEquals(original.length, Files.size(in));

        Path model = Models.directory(dir, "model", 1);
        run("compress", "-q", model).succeeds();
        Path other = Files.createDirectories(dir.resolve("other"));
        Files.writeString(other.resolve("keep.txt"), "mine");
        run("decompress", dir.resolve("model.elfz"), "-o", other).failsWith(other.toString(), "already exists");
        assertEquals(List.of("keep.txt"), Cli.listing(other));
        run("decompress", "-q", "-f", dir.resolve("model.elfz"), "-o", other).succeeds();
        List<String> merged = new ArrayList<>(Cli.listing(model));
        merged.add("keep.txt"); // -f replaces the archive's files, and leaves the others
        assertEquals(merged.stream().sorted().toList(), Cli.listing(other));
        assertEquals("mine", Files.readString(other.resolve("keep.txt")));
    }

    @Test
    void usageErrorsExitTwo() {
        run("decompress").usageError("IN.elfz");
        run("decompress", "a.elfz", "-T", "x").usageError("--threads");
        run("decompress", "a.elfz", "--codec", "raw").usageError("--codec");
    }
}
