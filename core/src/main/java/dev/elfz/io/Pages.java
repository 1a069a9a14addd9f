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
     * Drops the whole pages inside {@code part}, a slice of a read-only file mapping (never of anonymous or
     * written memory: their contents would be lost). Pages shared with neighbouring data stay.
     */
    public static void release(MemorySegment part) {
        if (MADVISE == null || !part.isNative() || part.byteSize() < PAGE) {
            return;
        }
        advise((part.address() + PAGE - 1) & -PAGE, (part.address() + part.byteSize()) & -PAGE, MADV_DONTNEED);
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
