package dev.elfz.io;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Brings parts of a mapped file into private memory by positional reads (pread) rather than by copying them out of
 * the mapping: on this kind of machine the copy out of a mapping (with {@link Pages#populate} before and
 * {@link Pages#releaseTouched} after, so that resident memory stays flat) ran three to five times slower than the
 * kernel's copy from its page cache (page tables built and torn down, a TLB miss per 4 KiB page under a hypervisor).
 * A file cut short is a short read, never a SIGBUS; no page of the file is mapped into the process, so there is
 * nothing to let go. Thread-safe: positional reads share no position. An interrupted reader closes the channel for
 * every thread, so from then on parts are copied out of the mapping ({@link MappedInput#copy}); reopening the path
 * could open another file. Memory on the Java heap gets that copy too (a heap ByteBuffer would go through a temporary
 * direct one).
 */
public final class PositionalReads implements AutoCloseable {

    private final Path path;
    private final MemorySegment mapping;
    private volatile FileChannel channel;

    /** {@code channel} reads {@code path}, {@code mapping} is all of it from offset 0; closing this closes the channel. */
    public PositionalReads(Path path, FileChannel channel, MemorySegment mapping) {
        this.path = path;
        this.channel = channel;
        this.mapping = mapping;
    }

    /**
     * Reads of {@code path}, whose mapping from offset 0 is {@code mapping}: through a channel of its own when the
     * file opens and still has the mapping's size, else (the file replaced or cut short meanwhile) through the mapping.
     */
    public static PositionalReads open(Path path, MemorySegment mapping) {
        FileChannel ch = null;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
            if (ch.size() != mapping.byteSize()) {
                ch.close();
                ch = null;
            }
        } catch (IOException | UnsupportedOperationException e) {
            ch = null; // the mapping serves
        }
        return new PositionalReads(path, ch, mapping);
    }

    /** Whether {@code part} lies inside this file's mapping (else it is other memory, read as it is). */
    public boolean holds(MemorySegment part) {
        long at = part.address() - mapping.address();
        return part.isMapped() && mapping.isMapped() && at >= 0 && at + part.byteSize() <= mapping.byteSize();
    }

    /**
     * Copies {@code part}, a slice of the mapping, to the start of {@code into} (private memory at least as large) and
     * returns that slice of {@code into}.
     *
     * @throws InputChangedException when the file ends before the part does (it was cut short)
     * @throws IOException when the file cannot be read
     */
    public MemorySegment copy(MemorySegment part, MemorySegment into) throws IOException {
        MemorySegment to = into.asSlice(0, part.byteSize());
        FileChannel ch = channel;
        if (ch != null && to.isNative() && to.byteSize() <= Integer.MAX_VALUE) { // as one direct ByteBuffer
            try {
                readFully(ch, part.address() - mapping.address(), to.asByteBuffer());
                return to;
            } catch (EOFException e) {
                throw new InputChangedException(path, e);
            } catch (ClosedChannelException e) {
                channel = null; // an interrupt closed it: the mapping from now on
            } catch (IOException e) {
                throw new IOException(path + ": cannot be read: " + e.getMessage(), e);
            }
        }
        Pages.populate(part);
        try {
            return MappedInput.copy(path, part, to);
        } finally {
            Pages.releaseTouched(part); // read for good: resident memory stays flat in file size
        }
    }

    /** Fills {@code b} from {@code offset}; EOFException when the file ends first (it was cut short). */
    private static void readFully(FileChannel ch, long offset, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b, offset + b.position()) < 0) {
                throw new EOFException();
            }
        }
    }

    @Override
    public void close() {
        FileChannel ch = channel;
        channel = null;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // read-only: nothing is lost
            }
        }
    }
}
