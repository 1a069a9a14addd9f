package dev.elfz.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.elfz.FuzzSupport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coverage-guided fuzzing of the .npy reader (eval's --input files; Jazzer). Property: a file reads, with as many
 * values as its shape holds, or is one IOException naming the file; never another exception.
 */
class NpyFuzzTarget {

    @FuzzTest(maxDuration = "5m")
    void npy(byte[] data) {
        Path p = FuzzSupport.scratch("input.npy", data);
        try {
            Values v = NpyReader.read(p);
            long n = 1;
            for (long d : v.shape()) {
                n *= d;
            }
            assertEquals(n, v.count(), "values for the shape");
        } catch (IOException e) {
            FuzzSupport.assertOneLineNaming(p, e);
        }
    }

    @TempDir
    Path dir;

    /** np.save's forms: versions 1, 2 and 3, both byte orders, every kind, 0-d and empty arrays. */
    Map<String, byte[]> seeds() throws IOException {
        Map<String, byte[]> s = new LinkedHashMap<>();
        s.put(
                "valid-i8-v1",
                Files.readAllBytes(NpyBytes.longs(dir.resolve("a.npy"), new long[] {2, 3}, 1, 2, 3, 4, 5, -6)));
        s.put(
                "valid-f4-be-v2",
                npy(
                        2,
                        ">f4",
                        new long[] {3},
                        ByteBuffer.allocate(12)
                                .order(ByteOrder.BIG_ENDIAN)
                                .putFloat(0.5f)
                                .putFloat(-1f)
                                .putFloat(3e9f)
                                .array()));
        s.put("valid-f2-v3", npy(3, "<f2", new long[] {2, 1}, new byte[] {0, 0x3c, 0, (byte) 0xc0}));
        s.put("valid-bool-0d", npy(1, "|b1", new long[] {}, new byte[] {1}));
        s.put("valid-u2-empty", npy(1, "<u2", new long[] {0, 4}, new byte[0]));
        return s;
    }

    private byte[] npy(int major, String descr, long[] shape, byte[] values) throws IOException {
        return Files.readAllBytes(NpyBytes.write(dir.resolve("s.npy"), major, NpyBytes.dict(descr, shape), values));
    }

    /** The committed seeds read: fuzzing starts from files that parse all the way. */
    @Test
    void theSeedsRead() throws IOException {
        FuzzSupport.checkSeeds(
                getClass(), "npy", seeds(), seed -> assertTrue(NpyReader.read(seed) != null, seed.toString()));
    }
}
