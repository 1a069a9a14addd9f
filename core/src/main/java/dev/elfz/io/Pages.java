package dev.elfz.io;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Lets go of the pages of a read-only file mapping once they have been read: the kernel keeps them in its page
 * cache, but they stop counting in this process's resident set, so streaming through a mapped file of any size
 * keeps RSS flat. Linux only (madvise MADV_DONTNEED); elsewhere it does nothing.
 */
public final class Pages {

    private static final int MADV_DONTNEED = 4;
    private static final int MADV_POPULATE_READ = 22; // Linux 5.14+; older kernels refuse it, which changes nothing
    public static final long PAGE = 4096;
    private static final MethodHandle MADVISE = find();

    private Pages() {}

    private static MethodHandle find() {
        if (!System.getProperty("os.name", "").equals("Linux")) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup()
                    .find("madvise")
                    .map(addr -> linker.downcallHandle(
                            addr,
                            FunctionDescriptor.of(
                                    ValueLayout.JAVA_INT,
                                    ValueLayout.ADDRESS,
                                    ValueLayout.JAVA_LONG,
                                    ValueLayout.JAVA_INT)))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null; // no native access: RSS grows with what was read, nothing else changes
        }
    }

    /**
     * Drops the whole pages inside {@code part}, a slice of a read-only file mapping. Pages shared with neighbouring
     * data stay. Anything but a file mapping is left alone: on anonymous memory (an arena's buffer) MADV_DONTNEED
     * would zero the pages, and with them whatever else lives there.
     */
    public static void release(MemorySegment part) {
        release(part, part.address());
    }

    /**
     * Drops the whole pages from address {@code from} to the end of {@code part}, a slice of a read-only file mapping
     * that {@code from} (at most {@code part}'s start) lies in too: the bytes before {@code part} that were read for
     * good with it. Nothing happens unless {@code part} is a file mapping.
     */
    public static void release(MemorySegment part, long from) {
        long end = part.address() + part.byteSize();
        if (MADVISE == null || !part.isMapped() || from > part.address() || end - from < PAGE) {
            return;
        }
        advise((from + PAGE - 1) & -PAGE, end & -PAGE, MADV_DONTNEED);
    }

    /**
     * Drops every page {@code part} touches, a slice of a read-only file mapping read for good, the pages it shares
     * with neighbouring data too: for readers that take chunks out of order, where no one knows when a shared page's
     * other half has been read. A page a neighbour still reads is only mapped again from the page cache (the file's
     * bytes, as before). A mapping covers whole pages, so rounding outwards never leaves it. Nothing happens unless
     * {@code part} is a file mapping.
     */
    public static void releaseTouched(MemorySegment part) {
        if (MADVISE == null || !part.isMapped() || part.byteSize() == 0) {
            return;
        }
        advise(part.address() & -PAGE, (part.address() + part.byteSize() + PAGE - 1) & -PAGE, MADV_DONTNEED);
    }

    /**
     * Maps every page of {@code part}, a slice of a read-only file mapping, in one call before it is read: a page
     * fault per 64 KiB costs more than the reading itself (a third of compression time on a virtual machine).
     */
    public static void populate(MemorySegment part) {
        if (MADVISE == null || !part.isNative() || part.byteSize() == 0) {
            return;
        }
        advise(part.address() & -PAGE, (part.address() + part.byteSize() + PAGE - 1) & -PAGE, MADV_POPULATE_READ);
    }

    private static void advise(long start, long end, int advice) {
        if (end <= start) {
            return;
        }
        try {
            int unused = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, advice);
        } catch (Throwable e) {
            // advice only
        }
    }
}
