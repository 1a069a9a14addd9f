package dev.elfz.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file of known size built in place: a temporary file beside the target is sized and mapped read-write
 * (sparse until written), filled through {@link #segment} from any number of threads, then {@link #commit}
 * forces and renames it (see {@link AtomicFiles}). {@link #close} without commit deletes it.
 */
public final class MappedOutput implements AutoCloseable {

    private final Path target;
    private final boolean overwrite;
    private final AtomicFiles.Temp temp;
    private final Arena arena;
    private final MemorySegment mapping;
    private final Writeback writeback;
    private boolean finished;

    private MappedOutput(Path target, boolean overwrite, AtomicFiles.Temp temp, Arena arena, MemorySegment mapping) {
        this.target = target;
        this.overwrite = overwrite;
        this.temp = temp;
        this.writeback = Writeback.of(temp.path());
        this.arena = arena;
        this.mapping = mapping;
    }

    /**
     * @throws java.nio.file.FileAlreadyExistsException when the target exists and {@code overwrite} is false
     * @throws IOException when the directory is not writable or has not {@code size} bytes free: stores into a
     *     mapping the disk cannot back would fail later as a fault, not as an IOException
     */
    public static MappedOutput create(Path target, long size, boolean overwrite) throws IOException {
        AtomicFiles.checkTarget(target, overwrite);
        Path dir = target.toAbsolutePath().getParent();
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free < size) {
            throw new IOException(target + ": needs " + size + " bytes, " + dir + " has " + free + " free (disk full)");
        }
        AtomicFiles.Temp temp = AtomicFiles.createTempFile(target);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapping = size == 0 ? MemorySegment.NULL
                    : temp.channel().map(FileChannel.MapMode.READ_WRITE, 0, size, arena); // extends the file
            return new MappedOutput(target, overwrite, temp, arena, mapping);
        } catch (IOException | RuntimeException | Error e) {
            discard(arena, temp, e);
            throw e;
        }
    }

    public Path target() {
        return target;
    }

    /** The whole file, writable until {@link #commit} or {@link #close}. */
    public MemorySegment segment() {
        if (finished) {
            throw new IllegalStateException(target + ": output already committed or closed");
        }
        return mapping;
    }

    /**
     * Writes {@code bytes} at {@code offset} with a positional write instead of stores into the mapping: for bulk
     * data from many threads this avoids a page fault per page written. Thread-safe.
     */
    public void write(long offset, MemorySegment bytes) throws IOException {
        if (finished) {
            throw new IllegalStateException(target + ": output already committed or closed");
        }
        java.util.Objects.checkFromIndexSize(offset, bytes.byteSize(), mapping.byteSize());
        long step = 1L << 30; // a ByteBuffer holds at most 2 GiB
        for (long done = 0; done < bytes.byteSize(); done += step) {
            java.nio.ByteBuffer b = bytes.asSlice(done, Math.min(step, bytes.byteSize() - done)).asByteBuffer();
            long at = offset + done;
            while (b.hasRemaining()) {
                at += temp.channel().write(b, at);
            }
        }
        writeback.start(offset, bytes.byteSize());
    }

    /** Forces the file to disk and renames it to the target; the mapping is released. */
    public void commit() throws IOException {
        if (finished) {
            throw new IllegalStateException(target + ": output already committed or closed");
        }
        finished = true;
        try {
            if (mapping.byteSize() > 0) {
                mapping.force();
            }
            temp.channel().force(true);
            arena.close();
            temp.channel().close();
            writeback.close();
            AtomicFiles.publishFile(temp.path(), target, overwrite);
        } catch (IOException | RuntimeException | Error e) {
            writeback.close();
            discard(arena, temp, e);
            throw e;
        }
    }

    /** Without {@link #commit}: unmaps and deletes the temporary file; the target is untouched. */
    @Override
    public void close() throws IOException {
        if (!finished) {
            finished = true;
            writeback.close();
            discard(arena, temp, null);
        }
    }

    /** Releases a failed or abandoned output; problems join {@code failure} when there is one. */
    static void discard(Arena arena, AtomicFiles.Temp temp, Throwable failure) throws IOException {
        try {
            arena.close();
        } catch (IllegalStateException alreadyClosed) {
            // closed by commit() before it failed
        }
        try {
            temp.channel().close();
            Files.deleteIfExists(temp.path());
        } catch (IOException e) {
            if (failure == null) {
                throw e;
            }
            failure.addSuppressed(e);
        }
    }
}
