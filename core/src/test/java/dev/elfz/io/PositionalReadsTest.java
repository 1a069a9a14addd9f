package dev.elfz.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PositionalReadsTest {

    private static final int SIZE = 5 * 4096 + 123;

    private static byte[] write(Path file) throws IOException {
        byte[] bytes = new byte[SIZE];
        new Random(7).nextBytes(bytes);
        Files.write(file, bytes);
        return bytes;
    }

    private static MemorySegment map(Path file, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
    }

    /** A slice of the mapping reads the file's bytes at its offset, whichever way they are brought in. */
    @Test
    void aSliceReadsTheBytesAtItsOffset(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f");
        byte[] bytes = write(file);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapping = map(file, arena);
            MemorySegment into = arena.allocate(SIZE);
            try (PositionalReads reads = PositionalReads.open(file, mapping)) {
                MemorySegment part = mapping.asSlice(4000, 9000);
                assertTrue(reads.holds(part));
                assertFalse(reads.holds(into), "private memory is not the file's");
                byte[] got = reads.copy(part, into).toArray(ValueLayout.JAVA_BYTE);
                byte[] want = new byte[9000];
                System.arraycopy(bytes, 4000, want, 0, 9000);
                assertArrayEquals(want, got);
                // a heap buffer takes the mapping's copy: the same bytes
                MemorySegment heap = MemorySegment.ofArray(new byte[9000]);
                assertArrayEquals(want, reads.copy(part, heap).toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    /** A file cut short after its reads opened: a read past its new end says the file changed, naming it. */
    @Test
    void aFileCutShortIsAnInputChangedException(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f");
        write(file);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapping = map(file, arena);
            try (PositionalReads reads = PositionalReads.open(file, mapping)) {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.truncate(4096);
                }
                MemorySegment into = arena.allocate(SIZE);
                assertEquals(100, reads.copy(mapping.asSlice(0, 100), into).byteSize());
                InputChangedException e =
                        assertThrows(InputChangedException.class, () -> reads.copy(mapping.asSlice(8192, 4096), into));
                assertEquals(file + ": " + InputChangedException.WHAT, e.getMessage());
            }
        }
    }

    /**
     * A file no longer of its mapping's size when the reads open (replaced or cut short meanwhile) is read out of the
     * mapping, whose faults give the same one line.
     */
    @Test
    void aFileOfAnotherSizeIsReadOutOfTheMapping(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("f");
        byte[] bytes = write(file);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapping = map(file, arena);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(8192);
            }
            try (PositionalReads reads = PositionalReads.open(file, mapping)) {
                MemorySegment into = arena.allocate(SIZE);
                byte[] want = new byte[100];
                System.arraycopy(bytes, 5000, want, 0, 100);
                assertArrayEquals(
                        want, reads.copy(mapping.asSlice(5000, 100), into).toArray(ValueLayout.JAVA_BYTE));
                InputChangedException e =
                        assertThrows(InputChangedException.class, () -> reads.copy(mapping.asSlice(12288, 4096), into));
                assertEquals(file + ": " + InputChangedException.WHAT, e.getMessage());
            }
        }
    }
}
