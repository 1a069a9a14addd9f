package dev.elfz.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PagesTest {

    /**
     * Compress lets go of what it has read; an ONNX model's skeleton, gathered into an arena's buffer, is read the
     * same way. MADV_DONTNEED on such anonymous memory zeroes it (and, from a page boundary before the buffer,
     * whatever else lives there: the heap corruption this guards against).
     */
    @Test
    void anonymousMemoryIsNeverLetGo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(8 * Pages.PAGE, Pages.PAGE);
            buffer.fill((byte) 7);
            Pages.release(buffer);
            Pages.release(buffer.asSlice(4 * Pages.PAGE), buffer.address());
            for (long i = 0; i < buffer.byteSize(); i += 512) {
                assertEquals(7, buffer.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            }
        }
    }

    /** A file mapping's pages are let go and read back from the file as they were. */
    @Test
    void aMappedFileReadsTheSameAfterRelease(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("data");
        byte[] bytes = new byte[(int) (8 * Pages.PAGE)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31);
        }
        Files.write(f, bytes);
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
            Pages.release(m.asSlice(100, 5 * Pages.PAGE), m.address());
            for (int i = 0; i < bytes.length; i++) {
                assertEquals(bytes[i], m.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            }
        }
    }
    /**
     * Every page a slice touches leaves the process, the two it shares with its neighbours too, and only those: the
     * resident size of the mapping as the kernel counts it (/proc/self/smaps), before and after.
     */
    @Test
    void everyPageASliceTouchesIsLetGo(@TempDir Path dir) throws IOException {
        assumeTrue(System.getProperty("os.name", "").equals("Linux"), "smaps is Linux's");
        int pages = 64;
        Path f = dir.resolve("data");
        Files.write(f, new byte[(int) (pages * Pages.PAGE)]);
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, pages * Pages.PAGE, arena);
            long sum = 0;
            for (long i = 0; i < m.byteSize(); i += Pages.PAGE) {
                sum += m.get(ValueLayout.JAVA_BYTE, i); // every page mapped in
            }
            assertEquals(0, sum);
            assertEquals(pages * Pages.PAGE, residentBytes(m));
            Pages.releaseTouched(m.asSlice(Pages.PAGE + 100, 10 * Pages.PAGE)); // pages 1 to 11, both ends shared
            assertEquals((pages - 11) * Pages.PAGE, residentBytes(m));
            Pages.release(m.asSlice(20 * Pages.PAGE + 100, 10 * Pages.PAGE)); // whole pages only: 21 to 29
            assertEquals((pages - 20) * Pages.PAGE, residentBytes(m));
            Pages.releaseTouched(m.asSlice(pages * Pages.PAGE - 1, 1)); // the last byte: the last page
            assertEquals((pages - 21) * Pages.PAGE, residentBytes(m));
            assertEquals(0, m.get(ValueLayout.JAVA_BYTE, 5 * Pages.PAGE)); // read back from the file
        }
    }

    /** The resident bytes of the mapping that holds {@code m} (its smaps entry's Rss). */
    private static long residentBytes(MemorySegment m) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        for (int i = 0; i < lines.size(); i++) {
            String[] range = lines.get(i).split(" ", 2)[0].split("-");
            if (range.length != 2 || !range[0].matches("[0-9a-f]+")) {
                continue;
            }
            if (Long.parseUnsignedLong(range[0], 16) <= m.address()
                    && m.address() < Long.parseUnsignedLong(range[1], 16)) {
                for (int j = i + 1; j < lines.size(); j++) {
                    if (lines.get(j).startsWith("Rss:")) {
                        return Long.parseLong(lines.get(j).replaceAll("[^0-9]", "")) * 1024;
                    }
                }
            }
        }
        throw new AssertionError("no mapping at " + Long.toHexString(m.address()) + " in /proc/self/smaps");
    }
}
