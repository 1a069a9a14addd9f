package dev.elfz.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.elfz.Dtype;
import dev.elfz.FuzzSupport;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coverage-guided fuzzing of the safetensors reader (Jazzer): the length field, the JSON header and every check of
 * the tensors' layout. Property: a file opens, its tensors' data lying inside the data buffer in offset order, or it
 * is one SafetensorsException naming the file; never another exception.
 */
class SafetensorsFuzzTarget {

    @FuzzTest(maxDuration = "5m")
    void file(byte[] data) {
        Path p = FuzzSupport.scratch("input.safetensors", data);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            long end = 0;
            for (TensorInfo t : f.tensors()) {
                assertTrue(t.begin() >= end && t.end() - t.begin() == t.dtype().byteSize(t.shape()), t.toString());
                assertEquals(t.end() - t.begin(), f.data(t).byteSize(), t.name());
                end = t.end();
            }
            assertTrue(8 + f.headerLength() + end <= f.fileSize(), "inside the file");
        } catch (SafetensorsException e) {
            FuzzSupport.assertOneLineNaming(p, e);
        }
    }

    @TempDir
    Path dir;

    /** The writer's files (every dtype, metadata, empty and 0-d tensors) and a hand-made one with unusual JSON. */
    Map<String, byte[]> seeds() throws IOException {
        Map<String, byte[]> s = new LinkedHashMap<>();
        List<TensorSpec> specs = new ArrayList<>();
        for (Dtype d : Dtype.values()) {
            specs.add(new TensorSpec(
                    d.name().toLowerCase(Locale.ROOT), d, d.bits() < 8 ? new long[] {8} : new long[] {1, 2}));
        }
        specs.add(new TensorSpec("empty", Dtype.F32, new long[] {3, 0}));
        specs.add(new TensorSpec("scalar", Dtype.F64, new long[] {}));
        s.put("valid-every-dtype", write(specs, Map.of("format", "pt")));
        s.put("valid-one-tensor", write(List.of(new TensorSpec("w", Dtype.BF16, new long[] {2, 2})), Map.of()));
        s.put(
                "valid-escapes",
                Files.readAllBytes(SafetensorsTestFiles.file(
                        dir,
                        "e.safetensors",
                        "{\"__metadata__\":{\"k\":\"v\\u00e9\"},\"a\\\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                        8)));
        return s;
    }

    private byte[] write(List<TensorSpec> specs, Map<String, String> metadata) throws IOException {
        Path p = dir.resolve("s.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> data = new ArrayList<>();
            for (TensorSpec t : specs) {
                MemorySegment m = arena.allocate(Math.max(1, t.byteSize())).asSlice(0, t.byteSize());
                m.fill((byte) 0x3c);
                data.add(m);
            }
            SafetensorsWriter.write(p, specs, data, metadata, true);
        }
        return Files.readAllBytes(p);
    }

    /** The committed seeds open: fuzzing starts from files that parse all the way. */
    @Test
    void theSeedsOpen() throws IOException {
        FuzzSupport.checkSeeds(getClass(), "file", seeds(), seed -> {
            try (SafetensorsFile f = SafetensorsFile.open(seed)) {
                assertTrue(!f.tensors().isEmpty(), seed.toString());
            }
        });
    }
}
