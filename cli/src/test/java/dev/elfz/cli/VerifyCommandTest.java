package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.Dtype;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorInfo;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** elfz verify: within bounds exits 0; any difference exits 1 naming the first tensor or file at fault. */
class VerifyCommandTest {

    @TempDir
    Path dir;

    @Test
    void everyTensorWithinItsBound() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path z = dir.resolve("m.elfz");
        run("compress", "-q", "--codec", "elf", "--chunk-size", "1K", in, "-o", z)
                .succeeds();
        Cli.Run r = run("verify", in, z, "-T", "2").succeeds();
        for (String name : Models.NAMES) {
            assertTrue(
                    r.out().lines().anyMatch(l -> l.startsWith("tensor " + name + " ") && l.endsWith(" ok")),
                    name + ":\n" + r.out());
        }
        assertTrue(
                r.out()
                        .lines()
                        .anyMatch(l ->
                                l.matches("tensor embed\\.weight +F32 +elf +5\\.96e-08 +5\\.96e-08 +\\S+ +\\S+ +ok")),
                r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("tensor ids +I64 +raw +0 +0 +0 +- +ok")), r.out());
        assertTrue(
                r.err()
                        .strip()
                        .matches(".*m\\.elfz : OK, matches .*m\\.safetensors \\(10 tensors, largest error "
                                + "0\\.00391, RMSE \\S+, SNR [0-9.]+ dB, within the bounds\\)"),
                r.err()); // BF16's bound, 2^-8
        assertEquals(
                "",
                run("verify", "-q", in, z).succeeds().out()
                        + run("verify", "-q", in, z).err());
    }

    @Test
    void jsonGivesEveryCheck() throws IOException {
        Path model = Models.directory(dir, "model", 1);
        Path z = dir.resolve("model.elfz");
        run("compress", "-q", "--codec", "elf", model).succeeds();
        JsonNode j = run("verify", "--json", "-T", "1", model, z).succeeds().json();
        assertTrue(j.get("ok").asBoolean());
        assertEquals(0, j.get("problems").size());
        assertEquals(model.toString(), j.get("original").asText());
        assertEquals(z.toString(), j.get("archive").asText());
        List<String> kinds = new ArrayList<>();
        for (JsonNode c : j.get("checks")) {
            kinds.add(c.get("kind").asText());
            assertTrue(c.get("ok").asBoolean(), c.toString());
            assertTrue(c.get("max_error").asDouble() <= c.get("bound").asDouble(), c.toString());
            assertFalse(c.has("problem"), c.toString());
            if (c.get("kind").asText().equals("tensor")
                    && c.get("codec").asText().equals("elf")) {
                double bound = switch (c.get("dtype").asText()) {
                    case "F32" -> 0x1p-24;
                    case "F16" -> 0x1p-11;
                    case "BF16" -> 0x1p-8;
                    default -> 0x1p-53;
                };
                assertEquals(bound, c.get("bound").asDouble(), c.toString());
                assertTrue(c.get("max_error").asDouble() > 0, "ELF loses something: " + c);
            }
        }
        assertEquals(j.get("checked").asInt(), kinds.size());
        // 3 blobs, 2 headers, 2 x 10 tensors
        assertEquals(
                List.of(3L, 2L, 20L),
                List.of(
                        kinds.stream().filter("blob"::equals).count(),
                        kinds.stream().filter("header"::equals).count(),
                        kinds.stream().filter("tensor"::equals).count()));
    }

    @Test
    void anotherOriginalFailsNamingTheFirstTensor() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path z = dir.resolve("m.elfz");
        run("compress", "-q", in, "-o", z).succeeds();
        Path other = Models.file(dir, "other.safetensors", 2);
        Cli.Run r = run("verify", other, z)
                .failsWith(
                        z.toString(),
                        "does not match",
                        other.toString(),
                        "tensor embed.weight: value 0: ",
                        "error",
                        "> bound 5.96");
        assertTrue(r.out().contains("BAD: value 0:"), r.out());
        JsonNode j = run("verify", "--json", other, z).json();
        assertFalse(j.get("ok").asBoolean());
        assertTrue(j.get("problems").get(0).asText().startsWith("tensor embed.weight: value 0: "), j.toString());
        assertFalse(j.get("checks").get(1).get("ok").asBoolean());
    }

    @Test
    void oneValueOutsideTheBoundOrOneFlippedBitIsFound() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path z = dir.resolve("m.elfz");
        run("compress", "-q", "--codec", "elf", "--chunk-size", "1K", in, "-o", z)
                .succeeds();

        // value 1000 of embed.weight moved by 2^-20 (16 bounds), in the second chunk
        Path moved = changed(
                in,
                dir.resolve("moved.safetensors"),
                "embed.weight",
                s -> s.setAtIndex(Models.F32, 1000, s.getAtIndex(Models.F32, 1000) + 0x1p-20f));
        run("verify", moved, z).failsWith("tensor embed.weight: value 1000: ", "> bound");

        // an exception (1.5 at value 7) one ulp off: exceptions must be exact
        Path exact = changed(
                in,
                dir.resolve("exact.safetensors"),
                "embed.weight",
                s -> s.setAtIndex(Models.F32, 7, Math.nextUp(1.5f)));
        run("verify", exact, z).failsWith("tensor embed.weight: value 7: 1.5000001 decoded as 1.5, should be exact");

        // a raw tensor must be bit for bit
        Path flipped = changed(
                in,
                dir.resolve("flipped.safetensors"),
                "ids",
                s -> s.set(ValueLayout.JAVA_BYTE, 9, (byte) (s.get(ValueLayout.JAVA_BYTE, 9) ^ 1)));
        run("verify", flipped, z).failsWith("tensor ids: byte 9 differs");

        // BF16 and F16 compare as floats: one value of each moved by 4 of its bounds
        Path brain = changed(
                in,
                dir.resolve("brain.safetensors"),
                "brain",
                s -> s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 5, (short) 0x3e00)); // 0.125
        run("verify", brain, z).failsWith("tensor brain: value 5: 0.125 decoded as ");
        Path half = changed(
                in,
                dir.resolve("half.safetensors"),
                "half",
                s -> s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 299, Float.floatToFloat16(0.75f)));
        run("verify", half, z).failsWith("tensor half: value 299: 0.75 decoded as ");
    }

    @Test
    void namesDtypesShapesMetadataAndFilesMustMatch() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path z = dir.resolve("m.elfz");
        run("compress", "-q", in, "-o", z).succeeds();
        try (SafetensorsFile f = SafetensorsFile.open(in)) {
            List<TensorInfo> ts = f.tensors();
            List<MemorySegment> data = ts.stream().map(f::data).toList();
            Path meta = dir.resolve("meta.safetensors");
            SafetensorsWriter.write(
                    meta, ts.stream().map(TensorInfo::spec).toList(), data, Map.of("format", "np"), false);
            run("verify", meta, z).failsWith("m.safetensors: __metadata__ differs");

            Path fewer = dir.resolve("fewer.safetensors");
            SafetensorsWriter.write(
                    fewer,
                    ts.subList(0, 9).stream().map(TensorInfo::spec).toList(),
                    data.subList(0, 9),
                    Models.METADATA,
                    false);
            run("verify", fewer, z).failsWith("tensor scalar: in the archive, not in the original");

            List<TensorSpec> specs =
                    new ArrayList<>(ts.stream().map(TensorInfo::spec).toList());
            specs.set(5, new TensorSpec("ids", Dtype.U64, new long[] {5}));
            Path retyped = dir.resolve("retyped.safetensors");
            SafetensorsWriter.write(retyped, specs, data, Models.METADATA, false);
            run("verify", retyped, z).failsWith("tensor ids: I64 [5] in the archive, U64 [5] in the original");
        }
        Path model = Models.directory(dir, "model", 1);
        run("verify", model, z).failsWith("is a directory but", "holds a single file");
        Path mz = dir.resolve("model.elfz");
        run("compress", "-q", model).succeeds();
        Files.writeString(model.resolve("config.json"), "{\"hidden_size\": 49, \"seed\": 1}\n");
        run("verify", model, mz).failsWith("config.json: byte 17 differs");
        Files.writeString(model.resolve("extra.txt"), "new");
        run("verify", model, mz).failsWith("extra.txt: in ", "not in the archive", "(and 1 more)");
    }

    @Test
    void aDamagedArchiveIsAnErrorNamingTheTensor() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 1);
        Path z = dir.resolve("m.elfz");
        run("compress", "-q", in, "-o", z).succeeds();
        BadInputTest.flipByteInChunk(z, "double");
        run("verify", in, z, "-T", "1").failsWith(z.toString(), "tensor double", "CRC32C");
        run("verify", in, z, "-T", "2").failsWith(z.toString(), "tensor double", "CRC32C");
    }

    @Test
    void usageErrorsExitTwo() {
        run("verify", "only-one").usageError("FILE.elfz");
        run("verify").usageError("ORIGINAL");
    }

    /** A copy of {@code in} with one tensor's bytes changed. */
    private static Path changed(Path in, Path out, String tensor, Consumer<MemorySegment> change) throws IOException {
        Files.copy(in, out);
        try (SafetensorsFile f = SafetensorsFile.open(in);
                var ch = FileChannel.open(out, StandardOpenOption.READ, StandardOpenOption.WRITE);
                var arena = Arena.ofConfined()) {
            TensorInfo t = f.tensor(tensor);
            MemorySegment s =
                    ch.map(FileChannel.MapMode.READ_WRITE, 8 + f.headerLength() + t.begin(), t.byteSize(), arena);
            change.accept(s);
        }
        return out;
    }
}
