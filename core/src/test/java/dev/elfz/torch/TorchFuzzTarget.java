package dev.elfz.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.elfz.FuzzSupport;
import dev.elfz.onnx.Payloads;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of the PyTorch checkpoint reader (Jazzer): the zip's end records (zip64 too), central
 * directory and local headers, the restricted unpickler, the storages and their views. Property: a file opens, its
 * storages in file order inside the file, or it is one TorchException naming the file; never another exception.
 */
class TorchFuzzTarget {

    @FuzzTest(maxDuration = "5m")
    void file(byte[] data) throws IOException {
        Path p = FuzzSupport.scratch("input.pt", data);
        try (Payloads f = TorchFile.open("input.pt", p)) {
            long end = 0;
            for (TensorInfo t : f.tensors()) {
                assertTrue(t.begin() >= end && t.end() <= f.fileSize(), t.toString());
                assertEquals(t.byteSize(), f.data(t).byteSize(), t.name());
                end = t.end();
            }
        } catch (TorchException e) {
            FuzzSupport.assertOneLineNaming(p, e);
        }
    }

    /** torch.save's own file (tied, transposed and sliced views, F16, I64) and the test writer's, plain and zip64. */
    static Map<String, byte[]> seeds() throws IOException {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("valid-torch-made", TorchFileTest.fixture("small.pt"));
        s.put(
                "valid-writer",
                new TorchBytes("m")
                        .floats("w", "0", new long[] {2, 2}, 1, 2, 3, 4)
                        .view("tied", "0", 0, new long[] {2, 2}, new long[] {2, 1})
                        .bytes());
        s.put(
                "valid-zip64",
                new TorchBytes("m")
                        .floats("b", "0", new long[] {3}, 1, 2, 3)
                        .zip64()
                        .bytes());
        return s;
    }

    @Test
    void theSeedsOpen() throws IOException {
        FuzzSupport.checkSeeds(getClass(), "file", seeds(), seed -> {
            try (Payloads f = TorchFile.open("seed", seed)) {
                assertTrue(!f.tensors().isEmpty(), seed.toString());
            }
        });
    }
}
