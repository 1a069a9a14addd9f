package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk: a real 2 MiB tmpfs. Mounting needs root (CI runs as root here); elsewhere the test is skipped
 * and says why.
 */
class FullDiskTest {

    @TempDir
    static Path dir;

    static Path disk;
    static Path model;
    static Path elfz;

    @BeforeAll
    static void mount() throws Exception {
        disk = Files.createDirectories(dir.resolve("disk"));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", disk.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        assumeTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "cannot mount a tmpfs: " + out);
        // 4 MB of float32: 3 MB as ELF, more than the disk holds
        model = TestModels.write(
                dir.resolve("m.safetensors"),
                List.of(new TensorSpec("w", Dtype.F32, new long[] {1000, 1000})),
                Map.of(),
                5);
        elfz = dir.resolve("m.elfz");
        Elfz.compress(model, elfz, ElfzOptions.defaults());
    }

    @AfterAll
    static void unmount() throws Exception {
        if (disk != null) {
            new ProcessBuilder("umount", disk.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void compressingOntoAFullDiskFailsCleanly() throws IOException {
        Path out = disk.resolve("m.elfz");
        IOException e = assertThrows(IOException.class, () -> Elfz.compress(model, out, ElfzOptions.defaults()));
        assertTrue(e.getMessage().startsWith(out + ": cannot write (No space left on device)"), e.getMessage());
        assertEmpty();
    }

    @Test
    void decompressingOntoAFullDiskFailsBeforeWriting() throws IOException {
        Path out = disk.resolve("m.safetensors");
        IOException e = assertThrows(IOException.class, () -> Elfz.decompress(elfz, out, ElfzOptions.defaults()));
        assertTrue(
                e.getMessage().startsWith(out + ": needs ") && e.getMessage().endsWith("(disk full)"), e.getMessage());
        assertEmpty();
    }

    private static void assertEmpty() throws IOException {
        try (Stream<Path> files = Files.list(disk)) {
            assertEquals(List.of(), files.toList(), "nothing left on the full disk");
        }
    }
}
