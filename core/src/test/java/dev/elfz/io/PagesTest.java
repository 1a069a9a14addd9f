package dev.elfz.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
}
