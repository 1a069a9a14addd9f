package dev.elfz.gguf;

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
 * Coverage-guided fuzzing of the GGUF reader (Jazzer): header, counts, metadata values (nested arrays), tensor infos,
 * alignment and offsets. Property: a file opens, its tensors in file order inside the file, or it is one
 * GgufException naming the file; never another exception.
 */
class GgufFuzzTarget {

    @FuzzTest(maxDuration = "5m")
    void file(byte[] data) throws IOException {
        Path p = FuzzSupport.scratch("input.gguf", data);
        try (Payloads f = GgufFile.open("input.gguf", p)) {
            long end = 0;
            for (TensorInfo t : f.tensors()) {
                assertTrue(t.begin() >= end && t.end() <= f.fileSize(), t.toString());
                assertEquals(t.byteSize(), f.data(t).byteSize(), t.name());
                end = t.end();
            }
        } catch (GgufException e) {
            FuzzSupport.assertOneLineNaming(p, e);
        }
    }

    /** The test writer's files: F32, F16 and Q8_0 tensors with metadata, and one with nested arrays. */
    static Map<String, byte[]> seeds() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("valid-model", GgufFileTest.model());
        s.put(
                "valid-small",
                new GgufBytes()
                        .u32("general.alignment", 64)
                        .strings("a", "x", "y")
                        .tensor("t", 30, new long[] {2}, new byte[4])
                        .bytes());
        return s;
    }

    @Test
    void theSeedsOpen() throws IOException {
        FuzzSupport.checkSeeds(getClass(), "file", seeds(), seed -> {
            try (Payloads f = GgufFile.open("seed", seed)) {
                assertTrue(!f.tensors().isEmpty(), seed.toString());
            }
        });
    }
}
