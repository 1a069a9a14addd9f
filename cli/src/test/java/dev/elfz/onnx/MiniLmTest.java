package dev.elfz.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.eval.OnnxEval;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** all-MiniLM-L6-v2 (a real 90 MB float32 ONNX model) through the container, and run in ONNX Runtime. */
class MiniLmTest {

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void extract() {
        model = OnnxBytes.miniLm(dir);
    }

    @Test
    void itsInitializersAreFound() throws IOException {
        try (OnnxFile f = OnnxFile.open(model)) {
            assertEquals(90_387_606L, f.fileSize());
            assertEquals(102, f.tensors().size(), "101 float32 weights and position_ids");
            assertTrue(f.skeleton().byteSize() < 200_000, "the graph alone: " + f.skeleton().byteSize());
        }
    }

    @Test
    void losslessIsByteIdentical() throws IOException {
        Path z = dir.resolve("lossless.elfz");
        Elfz.compress(model, z, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS));
        Path back = dir.resolve("lossless.onnx");
        Elfz.decompress(z, back, ElfzOptions.defaults());
        assertEquals(-1, Files.mismatch(model, back));
        System.out.printf("MiniLM lossless: ratio %.4f%n", (double) Files.size(model) / Files.size(z));
        Files.delete(back);
    }

    @Test
    void elfRunsInOnnxRuntimeWithTheSameOutputs() throws IOException {
        Path z = dir.resolve("elf.elfz");
        Elfz.compress(model, z, ElfzOptions.defaults().withCodec(CodecChoice.ELF));
        Path back = dir.resolve("elf.onnx");
        Elfz.decompress(z, back, ElfzOptions.defaults());
        assertEquals(Files.size(model), Files.size(back));
        List<OnnxEval.Output> out = OnnxEval.compare(model, back, OnnxEval.Inputs.DEFAULT).outputs();
        OnnxEval.Output hidden = out.stream().filter(o -> o.name().equals("last_hidden_state")).findFirst().orElseThrow();
        System.out.printf("MiniLM elf: ratio %.4f, last_hidden_state cosine %.12f (1 - cosine %.3g), max abs error %.3g%n",
                (double) Files.size(model) / Files.size(z), hidden.cosine(), 1 - hidden.cosine(), hidden.maxAbsError());
        assertTrue(hidden.cosine() >= 0.9999, "cosine " + hidden.cosine());
        assertTrue(hidden.maxAbsError() < 1e-3, "max abs error " + hidden.maxAbsError());
    }
}
