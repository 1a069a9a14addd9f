package dev.elfz.container;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressorInputsTest {

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /**
     * Each input file is read through a descriptor of its own from its first chunk to its last: a directory of many
     * files compresses with every one of them closed afterwards, on one thread and on several, and reads back whole.
     */
    @Test
    void everyInputsDescriptorIsClosedAndTheBytesReadBack(@TempDir Path dir) throws IOException {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc/self/fd");
        Path in = Files.createDirectories(dir.resolve("model"));
        Random random = new Random(3);
        for (int i = 0; i < 40; i++) {
            byte[] b = new byte[random.nextInt(3 * 4096)];
            random.nextBytes(b);
            Files.write(in.resolve("f" + i + ".bin"), b);
        }
        for (int threads : new int[] {1, 3}) {
            Path z = dir.resolve("model-" + threads + ".elfz");
            Path back = dir.resolve("back-" + threads);
            long before = openDescriptors();
            Elfz.compress(in, z, ElfzOptions.defaults().withThreads(threads).withChunkBytes(4096));
            assertEquals(before, openDescriptors(), threads + " threads");
            Elfz.decompress(z, back, ElfzOptions.defaults());
            for (int i = 0; i < 40; i++) {
                String name = "f" + i + ".bin";
                assertArrayEquals(Files.readAllBytes(in.resolve(name)), Files.readAllBytes(back.resolve(name)), name);
            }
        }
    }
}
