package dev.elfz.container;

import dev.elfz.ElfzException;
import dev.elfz.io.InputChangedException;
import dev.elfz.io.MappedInput;
import dev.elfz.io.Pages;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Brings the stored bytes of chunks of an .elfz file (and the original's bytes that {@code elfz verify} compares them
 * with) into private memory by positional reads (pread), not by copying them out of the mapping: that copy of a fresh mapping ran five times slower than the kernel's copy from its page
 * cache (most likely a TLB miss and page walk, two-level under a hypervisor, per 4 KiB page) and was half the time
 * of {@code ElfzReader.readInto}. A file cut short is a short read, never a SIGBUS. Thread-safe: positional
 * reads share no position. An interrupted reader closes a {@link FileChannel} for every thread, so from then on the
 * chunks are copied out of the mapping as before ({@link MappedInput#copy}); reopening the path could open another
 * file. Memory on the Java heap gets that copy too (a heap ByteBuffer would go through a temporary direct one).
 * Positional reads map no page of the archive into the process, so its resident memory stays flat in file size with
 * nothing to let go; the mapping copy lets go of the pages it read.
 */
final class Chunks implements AutoCloseable {

    private final Path path;
    private final MemorySegment file;
    private volatile FileChannel channel;

    /** {@code channel} reads {@code path}, {@code file} is its mapping; closing this closes the channel. */
    Chunks(Path path, FileChannel channel, MemorySegment file) {
        this.path = path;
        this.channel = channel;
        this.file = file;
    }

    /** Reads the {@code into.byteSize()} bytes of the file at {@code offset} into {@code into} and returns it. */
    MemorySegment read(long offset, MemorySegment into) throws ElfzException {
        FileChannel ch = channel;
        if (ch != null && into.isNative() && into.byteSize() <= Integer.MAX_VALUE) { // as one direct ByteBuffer
            try {
                readFully(ch, offset, into.asByteBuffer());
                return into;
            } catch (EOFException e) {
                throw new ElfzException(path, InputChangedException.WHAT, e);
            } catch (ClosedChannelException e) {
                channel = null; // an interrupt closed it: the mapping from now on
            } catch (IOException e) {
                throw new ElfzException(path, "cannot be read: " + e.getMessage(), e);
            }
        }
        MemorySegment mapped = file.asSlice(offset, into.byteSize());
        Pages.populate(mapped);
        try {
            return MappedInput.copy(path, mapped, into);
        } catch (InputChangedException e) {
            throw new ElfzException(path, InputChangedException.WHAT, e);
        } finally {
            Pages.releaseTouched(mapped); // read for good: resident memory stays flat in file size
        }
    }

    /** Fills {@code b}; EOFException when the file ends first (it was cut short). */
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
