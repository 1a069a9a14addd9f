package dev.elfz.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A file of known size built in place: a temporary file beside the target is sized (sparse until written), filled
 * through {@link #write} or {@link #segment} from any number of threads, then {@link #commit} renames it (see
 * {@link AtomicFiles}), forcing it to disk first when asked to. {@link #close} without commit deletes it.
 *
 * <p>An output holds a file descriptor only from its first {@link #write} until {@link #release} (or commit or close),
 * and no mapping until {@link #segment} is asked for: a writer that releases each output once its writes are done
 * builds a directory of any number of files with a bounded number of descriptors and without nearing the limit on
 * mappings (vm.max_map_count), and opens each file once rather than once a write.
 */
public final class MappedOutput implements AutoCloseable {

    private final Path target;
    private final boolean overwrite;
    private final Path temp;
    private final long size;
    private final boolean sync;
    private Arena arena; // with the mapping, made by the first segment()
    private MemorySegment mapping;
    private FileChannel channel; // held between the first write and release()
    private Writeback writeback; // with sync, beside the channel
    private volatile boolean finished;

    private MappedOutput(Path target, boolean overwrite, Path temp, long size, boolean sync) {
        this.target = target;
        this.overwrite = overwrite;
        this.temp = temp;
        this.size = size;
        this.sync = sync;
    }

    /** {@link #create(Path, long, boolean, boolean)}, forced to disk before it appears. */
    public static MappedOutput create(Path target, long size, boolean overwrite) throws IOException {
        return create(target, size, overwrite, true);
    }

    /**
     * @param sync whether {@link #commit} forces the file and its directory to disk (fsync) before and after the
     *     rename, with the writeback of each {@link #write} started at once; without it the file appears whole under
     *     its name all the same, and the kernel writes it out later (as {@code cp} or {@code zstd -d} do)
     * @throws java.nio.file.FileAlreadyExistsException when the target exists and {@code overwrite} is false
     * @throws IOException when the directory is not writable or has not {@code size} bytes free: stores into a
     *     mapping the disk cannot back would fail later as a fault, not as an IOException
     */
    public static MappedOutput create(Path target, long size, boolean overwrite, boolean sync) throws IOException {
        AtomicFiles.checkTarget(target, overwrite);
        Path dir = target.toAbsolutePath().getParent();
        long free = AtomicFiles.usableSpace(dir);
        if (free < size) {
            throw new IOException(target + ": needs " + size + " bytes, " + dir + " has " + free + " free (disk full)");
        }
        AtomicFiles.Temp temp = AtomicFiles.createTempFile(target);
        try (FileChannel ch = temp.channel()) {
            if (size > 0) {
                ch.write(ByteBuffer.allocate(1), size - 1); // the size, sparse: every byte is written later
            }
            return new MappedOutput(target, overwrite, temp.path(), size, sync);
        } catch (IOException | RuntimeException | Error e) {
            AtomicFiles.discard(temp, e);
            throw e;
        }
    }

    public Path target() {
        return target;
    }

    /** The whole file, mapped read-write on first use, writable until {@link #commit} or {@link #close}. */
    public synchronized MemorySegment segment() throws IOException {
        checkOpen();
        if (mapping == null) {
            Arena a = Arena.ofShared();
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                mapping = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_WRITE, 0, size, a);
            } catch (IOException | RuntimeException | Error e) {
                a.close();
                throw e;
            }
            arena = a; // the mapping outlives its channel
        }
        return mapping;
    }

    /**
     * Writes {@code bytes} at {@code offset} with a positional write instead of stores into the mapping: for bulk
     * data from many threads this avoids a page fault per page written. Thread-safe. The file stays open for the
     * next write until {@link #release}.
     */
    public void write(long offset, MemorySegment bytes) throws IOException {
        checkOpen();
        Objects.checkFromIndexSize(offset, bytes.byteSize(), size);
        FileChannel ch = channel();
        long step = 1L << 30; // a ByteBuffer holds at most 2 GiB
        for (long done = 0; done < bytes.byteSize(); done += step) {
            ByteBuffer b =
                    bytes.asSlice(done, Math.min(step, bytes.byteSize() - done)).asByteBuffer();
            long at = offset + done;
            while (b.hasRemaining()) {
                at += ch.write(b, at);
            }
        }
        Writeback w = writeback;
        if (w != null) {
            w.start(offset, bytes.byteSize());
        }
    }

    private synchronized FileChannel channel() throws IOException {
        checkOpen();
        if (channel == null) {
            channel = FileChannel.open(temp, StandardOpenOption.WRITE);
            writeback = sync ? Writeback.of(temp) : null;
        }
        return channel;
    }

    /**
     * Closes the file descriptor the writes hold, once the writes are done (or for a while: the next write opens it
     * again). Call it only when no write of this output is running.
     */
    public synchronized void release() throws IOException {
        FileChannel ch = channel;
        channel = null;
        if (writeback != null) {
            writeback.close();
            writeback = null;
        }
        if (ch != null) {
            ch.close();
        }
    }

    /** Forces the file to disk (when made with sync) and renames it to the target; the mapping is released. */
    public synchronized void commit() throws IOException {
        checkOpen();
        release();
        finished = true;
        try {
            if (sync && mapping != null && mapping.byteSize() > 0) {
                mapping.force();
            }
            if (sync) {
                try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                    ch.force(true); // the pages of every descriptor and mapping of the file
                }
            }
            unmap();
            AtomicFiles.publishFile(temp, target, overwrite, sync);
        } catch (IOException | RuntimeException | Error e) {
            try {
                discard();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Without {@link #commit}: unmaps and deletes the temporary file; the target is untouched. */
    @Override
    public synchronized void close() throws IOException {
        if (!finished) {
            finished = true;
            try {
                release();
            } finally {
                discard();
            }
        }
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException(target + ": output already committed or closed");
        }
    }

    private void unmap() {
        if (arena != null) {
            arena.close();
            arena = null;
        }
    }

    private void discard() throws IOException {
        unmap();
        AtomicFiles.deleteTemporary(temp);
    }
}
