package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static dev.elfz.onnx.ExternalData.tensor;
import static dev.elfz.onnx.OnnxBytes.floats;
import static dev.elfz.onnx.OnnxBytes.model;
import static dev.elfz.onnx.OnnxBytes.weights;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.onnx.OnnxBytes;
import dev.elfz.onnx.OnnxFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crafted models with external data through the command line: a data file in a subdirectory with gaps, a tensor
 * without length, an inline one beside them; a data file two models of a directory share; every malformed reference
 * refused with one line naming the model, nothing left; a damaged archive leaves no file and no directory.
 */
class ExternalDataCliTest {

    @TempDir
    Path dir;

    static final long[] A = {4, 8}; // 128 bytes at 0
    static final long[] B = {16}; // 64 bytes at 200

    /** weights/w.bin: a [0, 128), a gap, b [200, 264), a tail to 300. */
    private Path dataFile(Path at) throws IOException {
        byte[] w = new byte[300];
        System.arraycopy(floats(weights(32, 1)), 0, w, 0, 128);
        System.arraycopy(floats(weights(16, 2)), 0, w, 200, 64);
        w[150] = 7;
        w[299] = 9;
        return Files.write(Files.createDirectories(at.resolve("weights")).resolve("w.bin"), w);
    }

    private static byte[] graph(OnnxBytes... initializers) {
        OnnxBytes g = new OnnxBytes().string(2, "g");
        for (OnnxBytes t : initializers) {
            g.message(5, t);
        }
        return model(g);
    }

    private static OnnxBytes a() {
        return tensor("a", 1, A, "location", "weights/w.bin", "offset", "0", "length", "128", "checksum", "x");
    }

    private static OnnxBytes b() {
        return tensor("b", 1, B, "location", "./weights//w.bin", "offset", "200"); // no length: what the dims need
    }

    private static OnnxBytes inline() {
        return OnnxBytes.tensor("c", 1, 3).bytes(9, floats(0.5f, -0.25f, 2f));
    }

    @Test
    void aModelWithItsDataInASubdirectoryRoundTrips() throws IOException {
        Path data = dataFile(dir);
        Path in = Files.write(dir.resolve("m.onnx"), graph(a(), inline(), b()));
        run("compress", in, "--codec", "lossless", "-q").succeeds();
        Path z = dir.resolve("m.onnx.elfz");
        JsonNode files = run("info", z, "--json").succeeds().json().get("files");
        assertEquals("weights/w.bin", files.get(1).get("path").asText());
        assertEquals(2, files.get(1).get("tensors").size());
        assertTrue(run("verify", in, z, "--json").succeeds().json().get("ok").asBoolean());
        Path out = Files.createDirectories(dir.resolve("out"));
        run("decompress", z, "-o", out.resolve("m.onnx"), "-q").succeeds();
        assertEquals(-1, Files.mismatch(in, out.resolve("m.onnx")));
        assertEquals(-1, Files.mismatch(data, out.resolve("weights/w.bin")));
        assertEquals(List.of("m.onnx", "weights", "weights/w.bin"), Cli.listing(out));
        // ELF changes only the tensors' values: each file parses as it did, the bytes around the tensors are the
        // same, and each value within ELF's 2^-24 (|x| < 1) or exact
        run("compress", in, "-o", dir.resolve("elf.elfz"), "--codec", "elf", "-q")
                .succeeds();
        run("decompress", dir.resolve("elf.elfz"), "-o", out.resolve("m.onnx"), "-f", "-q")
                .succeeds();
        try (OnnxFile x = OnnxFile.open(in);
                OnnxFile y = OnnxFile.open(out.resolve("m.onnx"))) {
            assertEquals(x.tensors(), y.tensors());
        }
        byte[] w = Files.readAllBytes(data);
        byte[] back = Files.readAllBytes(out.resolve("weights/w.bin"));
        assertEquals(w.length, back.length);
        assertTrue(
                Arrays.equals(w, 128, 200, back, 128, 200) && Arrays.equals(w, 264, 300, back, 264, 300),
                "the gap and the tail");
        FloatBuffer before = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        FloatBuffer after = ByteBuffer.wrap(back).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        for (int i : IntStream.concat(IntStream.range(0, 32), IntStream.range(50, 66))
                .toArray()) {
            float a = before.get(i);
            float b = after.get(i);
            assertTrue(Math.abs(a) < 1 ? Math.abs(a - b) <= 0x1p-24 : a == b, "value " + i + ": " + a + " as " + b);
        }
    }

    @Test
    void aDamagedDataFileChunkLeavesNoFileAndNoDirectory() throws IOException {
        dataFile(dir);
        Path in = Files.write(dir.resolve("m.onnx"), graph(a(), b()));
        Path z = dir.resolve("m.elfz");
        run("compress", in, "-o", z, "--codec", "lossless", "-q").succeeds();
        byte[] b = Files.readAllBytes(z);
        // the last stream of the index is the last file's skeleton: weights/w.bin's
        String text = new String(b, StandardCharsets.ISO_8859_1);
        String chunks = "\"chunks\":[[";
        int at = text.lastIndexOf(chunks) + chunks.length();
        b[Integer.parseInt(text.substring(at, text.indexOf(',', at)))] ^= 1;
        Files.write(z, b);
        Path out = Files.createDirectories(dir.resolve("out"));
        run("decompress", z, "-o", out.resolve("m.onnx")).failsWith("weights/w.bin skeleton", "CRC32C mismatch");
        assertEquals(List.of(), Cli.listing(out), "neither file, nor the weights directory");
    }

    @Test
    void aDataFileTwoModelsShareIsStoredOnce() throws IOException {
        Path d = Files.createDirectories(dir.resolve("d"));
        Path data = dataFile(d);
        Files.write(d.resolve("decoder.onnx"), graph(a(), b()));
        Files.write(d.resolve("decoder_with_past.onnx"), graph(b(), inline()));
        Path z = dir.resolve("shared.elfz");
        run("compress", d, "-o", z, "--codec", "lossless", "-q").succeeds();
        JsonNode files = run("info", z, "--json").succeeds().json().get("files");
        assertEquals(3, files.size());
        assertEquals("onnx_data", files.get(2).get("kind").asText());
        assertEquals(2, files.get(2).get("tensors").size(), "b once");
        Path out = dir.resolve("back");
        run("decompress", z, "-o", out, "-q").succeeds();
        assertEquals(-1, Files.mismatch(data, out.resolve("weights/w.bin")));
        assertEquals(-1, Files.mismatch(d.resolve("decoder_with_past.onnx"), out.resolve("decoder_with_past.onnx")));
        // regions two models read differently are refused
        Files.write(
                d.resolve("decoder_with_past.onnx"),
                graph(tensor("e", 1, B, "location", "weights/w.bin", "offset", "100")));
        Cli.compressFails(dir, d, "initializers \"a\" [0, 128) and \"e\" [100, 164) overlap in weights/w.bin");
        Files.write(
                d.resolve("decoder_with_past.onnx"),
                graph(tensor("a", 1, B, "location", "weights/w.bin", "offset", "136")));
        Cli.compressFails(dir, d, "initializers named \"a\" of two models lie at different places");
        Files.write(d.resolve("decoder_with_past.onnx"), graph(tensor("a", 1, B, "location", "decoder.onnx")));
        Cli.compressFails(dir, d, "external data file decoder.onnx is a model itself");
    }

    private void refused(byte[] model, String... parts) throws IOException {
        Path in = Files.write(dir.resolve("bad.onnx"), model);
        Cli.compressFails(dir, in, parts);
    }

    @Test
    void malformedReferencesAreRefused() throws IOException {
        dataFile(dir);
        Files.createDirectories(dir.resolve("adir"));
        String w = "weights/w.bin";
        refused(graph(tensor("a", 1, A, "offset", "0")), "initializer \"a\": external_data without a location");
        refused(graph(tensor("a", 1, A, "location", dir.resolve(w).toString())), "is absolute or not a relative");
        refused(graph(tensor("a", 1, A, "location", "C:\\w.bin")), "is absolute or not a relative");
        refused(graph(tensor("a", 1, A, "location", "weights\\w.bin")), "is absolute or not a relative");
        refused(graph(tensor("a", 1, A, "location", "weights/../../w.bin")), "leaves the model's directory (..)");
        refused(graph(tensor("a", 1, A, "location", "./")), "names no file");
        refused(graph(tensor("a", 1, A, "location", "nope.bin")), "external data file nope.bin is missing");
        refused(graph(tensor("a", 1, A, "location", "adir")), "external data file adir is not a regular file");
        refused(graph(tensor("a", 1, A, "location", "bad.onnx")), "names the model itself");
        refused(graph(tensor("a", 1, A, "location", w, "offset", "-4")), "offset \"-4\" is not a number");
        refused(graph(tensor("a", 1, A, "location", w, "offset", "x")), "offset \"x\" is not a number");
        refused(
                graph(tensor("a", 1, A, "location", w, "length", "99999999999999999999")),
                "length \"99999999999999999999\"");
        refused(
                graph(tensor("a", 1, A, "location", w, "offset", "200")),
                "external data [200, 328) runs past the end of " + w + " (300 bytes)");
        refused(graph(tensor("a", 1, A, "location", w, "offset", "1000000")), "runs past the end of " + w);
        refused(
                graph(tensor("a", 1, A, "location", w, "length", "100")),
                "external data holds 100 bytes, data_type 1 dims [4, 8] needs 128");
        refused(
                graph(a(), tensor("b", 1, B, "location", w, "offset", "100")),
                "initializers \"a\" [0, 128) and \"b\" [100, 164) overlap in " + w);
        refused(graph(a(), tensor("c", 1, A, "location", w)), "overlap in " + w);
        refused(
                graph(OnnxBytes.tensor("a", 1, 4).varint(14, 1)),
                "data_location EXTERNAL without external_data entries");
        refused(
                graph(OnnxBytes.tensor("a", 1, 2)
                        .bytes(9, floats(1, 2))
                        .message(13, new OnnxBytes().string(1, "location").string(2, w))
                        .varint(14, 1)),
                "initializer \"a\": external data",
                "and values inline in raw_data");
        refused(
                graph(OnnxBytes.tensor("a", 1, 2)
                        .message(13, new OnnxBytes().string(1, "location").string(2, w))),
                "1 external_data entries but data_location is 0, not EXTERNAL (1)");
        refused(graph(tensor("a", 1, A, "location", w, "location", w)), "external_data key \"location\" given twice");
        refused(
                graph(tensor("a", 8, A, "location", w)),
                "external data of data_type 8, which has no fixed element size");
        Files.writeString(
                dir.resolve("lfs.bin"), "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 128\n");
        refused(
                graph(tensor("a", 1, A, "location", "lfs.bin")),
                "external data file lfs.bin is a git-LFS pointer file");
    }
}
