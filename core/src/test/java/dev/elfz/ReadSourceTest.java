package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where readInto takes a chunk's stored bytes from: positional reads of the file while they can, the mapping after an
 * interrupt closed the channel; the same bytes either way, and a file cut short is an ElfzException saying so.
 */
class ReadSourceTest {

    @TempDir
    Path dir;

    private Path compressed(CodecChoice choice) throws IOException {
        Path in = TestModels.everyDtype(dir.resolve("m.safetensors"), 3);
        Path z = dir.resolve("m.elfz");
        Elfz.compress(in, z, ElfzOptions.defaults().withCodec(choice).withChunkBytes(256));
        return z;
    }

    private static List<MemorySegment> readAll(ElfzReader r, Arena arena) throws ElfzException {
        List<MemorySegment> all = new ArrayList<>();
        for (ElfzTensor t : r.tensors()) {
            all.add(r.read(t, arena));
        }
        return all;
    }

    @Test
    void anInterruptedReaderAndTheReadsAfterItGetTheSameBytes() throws IOException {
        Path z = compressed(CodecChoice.ELF);
        try (ElfzReader r = ElfzReader.open(z);
                Arena arena = Arena.ofConfined()) {
            List<MemorySegment> before = readAll(r, arena);
            Thread.currentThread().interrupt(); // closes the channel at its first read
            List<MemorySegment> interrupted;
            try {
                interrupted = readAll(r, arena);
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
            }
            List<MemorySegment> after = readAll(r, arena);
            for (int i = 0; i < before.size(); i++) {
                assertEquals(
                        -1,
                        before.get(i).mismatch(interrupted.get(i)),
                        r.tensors().get(i).name());
                assertEquals(
                        -1,
                        before.get(i).mismatch(after.get(i)),
                        r.tensors().get(i).name());
            }
        }
    }

    @Test
    void aFileCutShortWhileOpenIsAnElfzException() throws IOException {
        Path z = compressed(CodecChoice.LOSSLESS);
        try (ElfzReader r = ElfzReader.open(z);
                Arena arena = Arena.ofConfined()) {
            ElfzTensor last = r.tensors().getLast();
            try (FileChannel ch = FileChannel.open(z, StandardOpenOption.WRITE)) {
                ch.truncate(64); // the index was read at open; every chunk now lies past the end
            }
            ElfzException e = assertThrows(ElfzException.class, () -> r.read(last, arena));
            assertEquals(z + ": changed while it was being read", e.getMessage());
        }
        assertEquals(64, Files.size(z));
    }
}
