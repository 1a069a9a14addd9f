package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.gguf.GgufBlocksTest;
import dev.elfz.gguf.GgufBytes;
import dev.elfz.gguf.GgufFile;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PyTorch checkpoints and GGUF files through the command line: round trip, info, verify, analyze; pickled modules,
 * the legacy format and malformed files refused in one line with nothing left.
 */
class CheckpointCliTest {

    @TempDir
    Path dir;

    /** A checkpoint torch.save (1.13) wrote: a state dict, a pickled module, the legacy format (elfz-core's tests). */
    private Path torchMade(String name) throws IOException {
        try (InputStream in = CheckpointCliTest.class.getResourceAsStream("/dev/elfz/torch/" + name)) {
            return Files.write(dir.resolve(name), in.readAllBytes());
        }
    }

    private static byte[] gguf() {
        byte[] f32 = new byte[4 * 64];
        for (int i = 0; i < 64; i++) {
            f32[4 * i + 3] = 0x3c; // small positive floats
            f32[4 * i] = (byte) i;
        }
        return new GgufBytes()
                .string("general.architecture", "test")
                .tensor("w", 0, new long[] {16, 4}, f32)
                .tensor("q", 8, new long[] {32}, new byte[34])
                .bytes();
    }

    @Test
    void aTorchCheckpointRoundTrips() throws IOException {
        Path in = torchMade("small.pt");
        run("compress", in, "--codec", "lossless", "-q").succeeds();
        Path z = dir.resolve("small.pt.elfz");
        Cli.Run info = run("info", z).succeeds();
        assertTrue(info.out().startsWith(z + ": a PyTorch checkpoint, 6 tensors"), info.out());
        assertEquals(
                "torch",
                run("info", z, "--json")
                        .succeeds()
                        .json()
                        .get("files")
                        .get(0)
                        .get("kind")
                        .asText());
        Cli.Run verify = run("verify", in, z, "--json").succeeds();
        assertEquals("skeleton", verify.json().get("checks").get(0).get("kind").asText());
        Path out = dir.resolve("back.pt");
        run("decompress", z, "-o", out, "-q").succeeds();
        assertEquals(-1, Files.mismatch(in, out));
        Cli.Run analyze = run("analyze", in).succeeds();
        assertTrue(analyze.out().startsWith("1 file (0 safetensors, 1 torch, 0 elfz), 6 tensors"), analyze.out());
    }

    @Test
    void aGgufFileRoundTrips() throws IOException {
        Path in = Files.write(dir.resolve("m.gguf"), gguf());
        run("compress", in, "--codec", "lossless", "-q").succeeds();
        Path z = dir.resolve("m.gguf.elfz");
        assertTrue(run("info", z).succeeds().out().startsWith(z + ": a GGUF file, 2 tensors"));
        run("verify", in, z).succeeds();
        Path out = dir.resolve("back.gguf");
        run("decompress", z, "-o", out, "-q").succeeds();
        assertEquals(-1, Files.mismatch(in, out));
    }

    /** Q8_0, Q4_0, Q4_K and Q6_K tensors: the blocks codec in info, verify exact, the same file back. */
    @Test
    void quantizedGgufBlocksRoundTripThroughPlanes() throws IOException {
        byte[] file = GgufBlocksTest.smallModel();
        Path in = Files.write(dir.resolve("q.gguf"), file);
        for (String[] mode : new String[][] {{"--codec", "lossless"}, {"--error-bound", "1e-3"}}) {
            Path z = dir.resolve("q.gguf.elfz");
            run("compress", in, mode[0], mode[1], "-f", "-q").succeeds();
            JsonNode tensors = run("info", z, "--json")
                    .succeeds()
                    .json()
                    .get("files")
                    .get(0)
                    .get("tensors");
            Map<String, String> codecs = new HashMap<>();
            tensors.forEach(
                    t -> codecs.put(t.get("name").asText(), t.get("codec").asText()));
            assertEquals("blocks", codecs.get("q8_0.weight"), codecs.toString());
            run("verify", in, z).succeeds();
            Path out = dir.resolve("back.gguf");
            run("decompress", z, "-o", out, "-f", "-q").succeeds();
            byte[] back = Files.readAllBytes(out);
            int norm = (int)
                    GgufFile.parse(in, MemorySegment.ofArray(file)).getLast().begin(); // the F32 vector
            assertEquals(file.length, back.length);
            assertEquals(-1, Arrays.mismatch(file, 0, norm, back, 0, norm), mode[0]); // all before it exact
        }
    }

    @Test
    void modulesAndTheLegacyFormatAreRefused() throws IOException {
        Cli.compressFails(
                dir,
                torchMade("module.pt"),
                "refusing to load torch.nn.modules.container.Sequential: elfz reads state dicts only");
        Cli.compressFails(dir, torchMade("legacy.pt"), "legacy format (torch < 1.6)");
    }

    @Test
    void malformedFilesAreRefusedWithNothingLeft() throws IOException {
        byte[] pt = Files.readAllBytes(torchMade("small.pt"));
        Cli.compressFails(dir, Files.write(dir.resolve("cut.pt"), Arrays.copyOf(pt, pt.length - 30)), "truncated");
        Cli.compressFails(
                dir, Files.write(dir.resolve("text.bin"), "hello".getBytes()), "not a PyTorch zip checkpoint");
        byte[] g = gguf();
        Cli.compressFails(dir, Files.write(dir.resolve("cut.gguf"), Arrays.copyOf(g, 40)), "truncated");
        Cli.compressFails(
                dir,
                Files.write(
                        dir.resolve("q4k.gguf"),
                        new GgufBytes()
                                .tensor("w", 12, new long[] {300, 1}, new byte[2 * 144])
                                .bytes()),
                "a row of 300 values is not whole blocks of 256 (Q4_K)");
        Cli.compressFails(
                dir,
                Files.write(
                        dir.resolve("type.gguf"),
                        new GgufBytes()
                                .tensor("x", 77, new long[] {1}, new byte[4])
                                .bytes()),
                "unknown ggml type 77");
        // in a model directory: one bad shard, nothing written
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.move(torchMade("small.pt"), model.resolve("pytorch_model-00001-of-00002.bin"));
        Files.move(torchMade("module.pt"), model.resolve("pytorch_model-00002-of-00002.bin"));
        Cli.compressFails(dir, model, "refusing to load torch.nn.modules.container.Sequential");
    }
}
