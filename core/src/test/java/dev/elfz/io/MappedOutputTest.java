package dev.elfz.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Positional writes into an output: the descriptor held between writes, released, opened again; commit and close. */
class MappedOutputTest {

    @TempDir
    Path dir;

    @Test
    void writesAroundAReleaseAllLandAndTheFileAppearsWhole() throws Exception {
        byte[] want = new byte[3000];
        for (int i = 0; i < want.length; i++) {
            want[i] = (byte) (i * 7);
        }
        for (boolean sync : new boolean[] {false, true}) {
            Path target = dir.resolve("out-" + sync);
            try (MappedOutput m = MappedOutput.create(target, want.length, false, sync)) {
                Thread other = Thread.ofPlatform().start(() -> write(m, want, 1000, 1000));
                write(m, want, 0, 1000);
                other.join();
                m.release();
                m.release(); // twice is harmless
                write(m, want, 2000, 1000); // opens the file again
                assertFalse(Files.exists(target), "nothing under the name before commit");
                m.commit();
            }
            assertArrayEquals(want, Files.readAllBytes(target));
        }
        try (MappedOutput m = MappedOutput.create(dir.resolve("dropped"), want.length, false, false)) {
            write(m, want, 0, 1000); // holds the file open: close() without commit still deletes it
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(
                    List.of("out-false", "out-true"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    private static void write(MappedOutput m, byte[] b, int from, int length) {
        try {
            m.write(from, MemorySegment.ofArray(b).asSlice(from, length));
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
