package dev.elfz.eval;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged .npy and JSON input files, thousands of them (a byte changed, or the file cut short): each reads, or is one
 * IOException naming the file, never another exception.
 */
class NpyFuzzTest {

    @TempDir
    Path dir;

    @Test
    void everyDamagedInputFileReadsOrIsOneIOException() throws IOException {
        byte[] npy = Files.readAllBytes(NpyBytes.longs(dir.resolve("good.npy"), new long[] {2, 3}, 1, 2, 3, 4, 5, 6));
        byte[] json = "[[101, 1996, 4937], [0.5, true, -3]]".getBytes(StandardCharsets.UTF_8);
        SplittableRandom r = new SplittableRandom(7);
        int refused = 0;
        for (int m = 0; m < 4000; m++) {
            boolean isNpy = m % 2 == 0;
            byte[] good = isNpy ? npy : json;
            byte[] bad = good.clone();
            int at = r.nextInt(good.length);
            if (r.nextInt(3) == 0) {
                bad = Arrays.copyOf(good, at);
            } else {
                bad[at] = (byte) r.nextInt(256);
            }
            Path p = Files.write(dir.resolve(isNpy ? "m.npy" : "m.json"), bad);
            try {
                Values v = isNpy ? NpyReader.read(p) : JsonArrays.read(p);
                assertTrue(v != null);
            } catch (IOException e) {
                refused++;
                assertTrue(e.getMessage().startsWith(p.toString()) && !e.getMessage().contains("\n"), e.getMessage());
            } catch (RuntimeException | Error e) {
                fail("mutant " + m + " of " + p.getFileName() + ": " + e, e);
            }
        }
        assertTrue(refused > 1000, "most damage is caught: " + refused);
    }
}
