package dev.elfz.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.Dtype;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer publishes a whole file or nothing, and never replaces a file unless told to. */
class SafetensorsWriterTest {

    @TempDir
    Path dir;

    private static final List<TensorSpec> SPECS =
            List.of(new TensorSpec("w", Dtype.F32, new long[] {4, 4}), new TensorSpec("b", Dtype.F32, new long[] {4}));

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void regionsAreFilledInPlace() throws IOException {
        Path p = dir.resolve("out.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(p, SPECS, Map.of(), false)) {
            for (int i = 0; i < SPECS.size(); i++) {
                MemorySegment r = w.region(i);
                for (long j = 0; j < r.byteSize() / 4; j++) {
                    r.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, j, i * 100 + j);
                }
            }
            assertFalse(Files.exists(p), "nothing under the target name before commit");
            w.commit();
            assertThrows(IllegalStateException.class, () -> w.region(0));
        }
        assertEquals(List.of(p), files());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(15f, f.data(f.tensor("w")).getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 15));
            assertEquals(103f, f.data(f.tensor("b")).getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 3));
        }
    }

    @Test
    void failureMidwayLeavesNothing() throws IOException {
        Path p = dir.resolve("out.safetensors");
        IllegalStateException boom = assertThrows(IllegalStateException.class, () -> {
            try (SafetensorsWriter w = SafetensorsWriter.create(p, SPECS, Map.of("k", "v"), false)) {
                w.region(0).fill((byte) 1);
                assertEquals(1, files().size(), "the temporary file exists while writing");
                throw new IllegalStateException("decoder failed");
            }
        });
        assertEquals("decoder failed", boom.getMessage());
        assertEquals(List.of(), files());
    }

    @Test
    void failureMidwayKeepsTheOldTarget() throws IOException {
        Path p = dir.resolve("out.safetensors");
        Files.writeString(p, "old");
        try (SafetensorsWriter w = SafetensorsWriter.create(p, SPECS, Map.of(), true)) {
            w.region(1).fill((byte) 2);
        } // closed without commit
        assertEquals("old", Files.readString(p));
        assertEquals(List.of(p), files());
    }

    @Test
    void existingTargetNeedsOverwrite() throws IOException {
        Path p = dir.resolve("out.safetensors");
        Files.writeString(p, "old");
        FileAlreadyExistsException e = assertThrows(
                FileAlreadyExistsException.class,
                () -> SafetensorsWriter.write(p, List.of(), List.of(), Map.of(), false));
        assertEquals(p + ": already exists (overwrite is off)", e.getMessage());
        assertEquals("old", Files.readString(p));

        // The target appearing while the file is written is caught at commit, and the temporary file goes.
        Path q = dir.resolve("late.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(q, SPECS, Map.of(), false)) {
            Files.writeString(q, "someone else's");
            assertThrows(FileAlreadyExistsException.class, w::commit);
        }
        assertEquals("someone else's", Files.readString(q));
        assertEquals(2, files().size());

        SafetensorsWriter.write(p, List.of(), List.of(), Map.of(), true);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertTrue(f.tensors().isEmpty());
        }
        assertEquals(2, files().size());
    }

    @Test
    void badSpecsAreRefusedBeforeAnyFile() throws IOException {
        Path p = dir.resolve("out.safetensors");
        TensorSpec a = new TensorSpec("a", Dtype.U8, new long[] {1});
        assertThrows(
                IllegalArgumentException.class,
                () -> SafetensorsWriter.write(
                        p,
                        List.of(a, a),
                        List.of(MemorySegment.ofArray(new byte[1]), MemorySegment.ofArray(new byte[1])),
                        Map.of(),
                        false));
        assertThrows(
                IllegalArgumentException.class,
                () -> SafetensorsWriter.write(
                        p,
                        List.of(new TensorSpec("__metadata__", Dtype.U8, new long[] {0})),
                        List.of(MemorySegment.NULL),
                        Map.of(),
                        false));
        assertThrows(
                IllegalArgumentException.class,
                () -> SafetensorsWriter.write(
                        p, List.of(a), List.of(MemorySegment.ofArray(new byte[2])), Map.of(), false));
        assertEquals(List.of(), files());
    }

    @Test
    void unwritableDirectoryIsAnIOException() throws IOException {
        Path p = dir.resolve("missing").resolve("out.safetensors");
        assertThrows(IOException.class, () -> SafetensorsWriter.write(p, List.of(), List.of(), Map.of(), false));
        assertEquals(List.of(), files());
        assertArrayEquals(new Path[0], files().toArray(new Path[0]));
    }
}
