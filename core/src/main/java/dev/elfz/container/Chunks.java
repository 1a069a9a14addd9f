package dev.elfz.container;

import dev.elfz.ElfzException;
import dev.elfz.io.InputChangedException;
import dev.elfz.io.PositionalReads;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Brings the stored bytes of chunks of an .elfz file (and the original's bytes that {@code elfz verify} compares them
 * with) into private memory by positional reads ({@link PositionalReads}: the copy out of a fresh mapping ran five
 * times slower and was half the time of {@code ElfzReader.readInto}), each failure one line naming the file.
 * Thread-safe.
 */
final class Chunks implements AutoCloseable {

    private final Path path;
    private final MemorySegment file;
    private final PositionalReads reads;

    /** {@code channel} reads {@code path}, {@code file} is its mapping; closing this closes the channel. */
    Chunks(Path path, FileChannel channel, MemorySegment file) {
        this.path = path;
        this.file = file;
        this.reads = new PositionalReads(path, channel, file);
    }

    /** Reads the {@code into.byteSize()} bytes of the file at {@code offset} into {@code into} and returns it. */
    MemorySegment read(long offset, MemorySegment into) throws ElfzException {
        try {
            return reads.copy(file.asSlice(offset, into.byteSize()), into);
        } catch (InputChangedException e) {
            throw new ElfzException(path, InputChangedException.WHAT, e);
        } catch (IOException e) {
            throw new ElfzException(path, "cannot be read: " + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public void close() {
        reads.close();
    }
}
