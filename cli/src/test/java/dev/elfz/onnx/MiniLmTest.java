package dev.elfz.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.CodecChoice;
import dev.elfz.Dtype;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.eval.OnnxEval;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.PlaneEntropy;
import dev.elfz.safetensors.TensorInfo;
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
            assertTrue(
                    f.skeleton().byteSize() < 200_000,
                    "the graph alone: " + f.skeleton().byteSize());
        }
    }

    @Test
    void losslessIsByteIdentical() throws IOException {
        Path z = dir.resolve("lossless.elfz");
        Elfz.compress(model, z, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS));
        Path back = dir.resolve("lossless.onnx");
        Elfz.decompress(z, back, ElfzOptions.defaults());
        assertEquals(-1, Files.mismatch(model, back));
        double ratio = (double) Files.size(model) / Files.size(z);
        long most; // the graph stored as it is, each weight at what its planes' entropy allows (measured: 1.21)
        try (OnnxFile f = OnnxFile.open(model)) {
            double bits = 0;
            for (TensorInfo t : f.tensors()) {
                if (t.dtype() == Dtype.F32) {
                    bits += PlaneEntropy.bitsPerValue(ElfType.F32, f.data(t)) * t.elements();
                } else {
                    bits += 8.0 * t.byteSize();
                }
            }
            most = f.skeleton().byteSize() + (long) Math.ceil(bits / 8);
        }
        assertTrue(ratio >= (double) Files.size(model) / most, "ratio " + ratio + ", " + most + " bytes at most");
        Files.delete(back);
    }

    @Test
    void elfRunsInOnnxRuntimeWithTheSameOutputs() throws IOException {
        Path z = dir.resolve("elf.elfz");
        Elfz.compress(model, z, ElfzOptions.defaults().withCodec(CodecChoice.ELF));
        Path back = dir.resolve("elf.onnx");
        Elfz.decompress(z, back, ElfzOptions.defaults());
        assertEquals(Files.size(model), Files.size(back));
        List<OnnxEval.Output> out =
                OnnxEval.compare(model, back, OnnxEval.Inputs.DEFAULT).outputs();
        OnnxEval.Output hidden = out.stream()
                .filter(o -> o.name().equals("last_hidden_state"))
                .findFirst()
                .orElseThrow();
        // ELF's 24-bit codes of float32 weights alone give 4/3, before the entropy stage (measured: 1.54)
        double ratio = (double) Files.size(model) / Files.size(z);
        assertTrue(ratio > 4.0 / 3, "ratio " + ratio);
        assertTrue(hidden.cosine() >= 0.9999, "cosine " + hidden.cosine());
        assertTrue(hidden.maxAbsError() < 1e-3, "max abs error " + hidden.maxAbsError());
    }
}
