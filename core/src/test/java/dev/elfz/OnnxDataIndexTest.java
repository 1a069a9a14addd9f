package dev.elfz;

import static dev.elfz.onnx.OnnxBytes.floats;
import static dev.elfz.onnx.OnnxBytes.weights;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.container.DamagedElfzTest;
import dev.elfz.container.ElfzFormat;
import dev.elfz.onnx.ExternalData;
import dev.elfz.onnx.OnnxBytes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The onnx_data kind (format 2.2) in the index: what compress writes, and inconsistent entries refused by the reader
 * (before anything is decoded) or by decompression's check of the model's references (before anything appears).
 */
class OnnxDataIndexTest {

    @TempDir
    Path dir;

    Path good;

    /** m.onnx: a [0, 128) and b [128, 192) of w.bin, which ends with 100 bytes no tensor holds. */
    @BeforeEach
    void compress() throws IOException {
        byte[] w = new byte[292];
        System.arraycopy(floats(weights(48, 5)), 0, w, 0, 192);
        Files.write(dir.resolve("w.bin"), w);
        OnnxBytes g = new OnnxBytes()
                .string(2, "g")
                .message(5, ExternalData.tensor("a", 1, new long[] {32}, "location", "w.bin", "length", "128"))
                .message(5, ExternalData.tensor("b", 1, new long[] {16}, "location", "w.bin", "offset", "128"));
        Files.write(dir.resolve("m.onnx"), OnnxBytes.model(g));
        good = dir.resolve("m.onnx.elfz");
        Elfz.compress(dir.resolve("m.onnx"), good, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS));
    }

    @Test
    void compressWritesTheModelThenItsDataFile() throws IOException {
        byte[] b = Files.readAllBytes(good);
        assertEquals(
                ElfzFormat.MINOR,
                ByteBuffer.wrap(b, 10, 2).order(ByteOrder.LITTLE_ENDIAN).getShort(),
                "the current format");
        try (ElfzReader r = ElfzReader.open(good)) {
            ElfzFile data = r.archive().files().get(1);
            assertEquals(InputKind.FILE, r.archive().input());
            assertEquals(FileKind.ONNX_DATA, data.kind());
            assertEquals("w.bin", data.path());
            assertEquals(292, data.size());
            assertEquals(100, data.data().size(), "the skeleton: the tail");
            assertEquals(128, data.tensors().get(1).offset());
            assertEquals(2, r.tensors().size());
        }
    }

    @Test
    void inconsistentEntriesAreRefusedBeforeDecoding() throws IOException {
        assertEquals(
                "damaged index: w.bin: tensor b: offset 64 of 64 bytes overlaps the tensor before it (which ends at"
                        + " 128) or the end of the file (292)",
                refused(s -> s.replace("\"offset\":128", "\"offset\":64")));
        assertEquals(
                "damaged index: w.bin: skeleton size 100, expected 101",
                refused(s -> s.replace("\"size\":292", "\"size\":293")));
        assertEquals(
                "damaged index: the index: a single-file archive must hold one safetensors, torch or gguf file, or one onnx file"
                        + " and its onnx_data files",
                refused(s -> s.replace("\"kind\":\"onnx\"", "\"kind\":\"onnx_data\"")));
        assertEquals(
                "damaged index: the index: a single-file archive must hold one safetensors, torch or gguf file, or one onnx file"
                        + " and its onnx_data files",
                refused(s -> s.replace("\"kind\":\"onnx_data\"", "\"kind\":\"blob\"")));
        assertEquals(
                "damaged index: the index holds an unsafe file path: ../w.bin",
                refused(s -> s.replace("\"path\":\"w.bin\"", "\"path\":\"../w.bin\"")));
        assertEquals(
                "damaged index: the index lists m.onnx twice",
                refused(s -> s.replace("\"path\":\"w.bin\"", "\"path\":\"m.onnx\"")));
        assertTrue(refused(s -> s.replace("\"kind\":\"onnx_data\"", "\"kind\":\"onnx_data_v9\""))
                .startsWith("damaged index: the index: a single-file archive must hold"));
    }

    @Test
    void entriesTheModelDoesNotReadAreRefusedBeforeAnythingAppears() throws IOException {
        // consistent for the index (b moved into the tail), but not where m.onnx reads it
        Path moved = write(s -> s.replace("\"offset\":128", "\"offset\":160"));
        Path out = Files.createDirectories(dir.resolve("out"));
        ElfzException e = assertThrows(
                ElfzException.class, () -> Elfz.decompress(moved, out.resolve("m.onnx"), ElfzOptions.defaults()));
        assertTrue(
                e.getMessage()
                        .endsWith("damaged: m.onnx's initializer \"b\" lies in w.bin [128, 192), which the "
                                + "archive does not hold as such"),
                e.getMessage());
        assertEquals(0, Files.list(out).count(), "nothing written");
    }

    private Path write(UnaryOperator<String> edit) throws IOException {
        return Files.write(dir.resolve("edited.elfz"), DamagedElfzTest.withIndex(Files.readAllBytes(good), edit));
    }

    /** The message of the reader's refusal, without the file's name. */
    private String refused(UnaryOperator<String> edit) throws IOException {
        Path p = write(edit);
        ElfzException e =
                assertThrows(ElfzException.class, () -> ElfzReader.open(p).close());
        return e.getMessage().substring((p + ": ").length());
    }
}
