package dev.elfz.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.elfz.FuzzSupport;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coverage-guided fuzzing of ONNX's protobuf wire reader as elfz reads models (Jazzer): OnnxFile (initializers,
 * nested tensors, external data entries, with a 64-byte data file w.bin beside the model) and OnnxGraph (the tables an
 * input indexes). Property: a model parses, every tensor inside its file and in file order, or it is one
 * OnnxException naming the file; never another exception.
 */
class OnnxFuzzTarget {

    private static final byte[] DATA_FILE = new byte[64];

    @FuzzTest(maxDuration = "5m")
    void model(byte[] data) {
        FuzzSupport.scratch("w.bin", DATA_FILE);
        Path p = FuzzSupport.scratch("input.onnx", data);
        try {
            try (OnnxFile f = OnnxFile.open(p)) {
                long end = 0;
                for (TensorInfo t : f.tensors()) {
                    assertTrue(t.begin() >= end && t.end() <= data.length && t.begin() <= t.end(), t.toString());
                    end = t.end();
                }
            }
            OnnxGraph.indexedTables(p);
        } catch (OnnxException e) {
            FuzzSupport.assertOneLineNaming(p, e);
        }
    }

    @TempDir
    Path dir;

    /** OnnxFileTest's crafted graph (every payload form), OnnxFuzzTest's (external data, a Constant, an If). */
    Map<String, byte[]> seeds() {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put("valid-payload-forms", OnnxFileTest.crafted());
        s.put("valid-external-and-nested", OnnxFuzzTest.model());
        return s;
    }

    /** The committed seeds parse: fuzzing starts from models that parse all the way. */
    @Test
    void theSeedsParse() throws IOException {
        Files.write(dir.resolve("w.bin"), DATA_FILE);
        FuzzSupport.checkSeeds(getClass(), "model", seeds(), seed -> {
            Path p = Files.copy(seed, dir.resolve("m.onnx"), StandardCopyOption.REPLACE_EXISTING);
            try (OnnxFile f = OnnxFile.open(p)) {
                assertTrue(!f.tensors().isEmpty(), seed.toString());
            }
        });
    }
}
