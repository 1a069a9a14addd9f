package dev.elfz.io;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Large off-heap buffers in transparent huge pages where Linux allows them (anonymous mmap, madvise MADV_HUGEPAGE,
 * munmap when the arena closes): filling fresh memory costs a page fault per 4 KiB page, which on this project's
 * 2-core VM took longer than decoding a model into it, and a fault per 2 MiB page costs about the same. Elsewhere,
 * below 2 MiB, or when the calls cannot be made, the arena allocates as usual. Zeroed either way.
 */
public final class LargeMemory {

    private static final long HUGE_PAGE = 2 << 20;
    private static final int PROT_READ_WRITE = 3;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x22;
    private static final int MADV_HUGEPAGE = 14;
    private static final MethodHandle[] CALLS = find(); // mmap, madvise, munmap; null when unavailable

    private LargeMemory() {}

    private static MethodHandle[] find() {
        String arch = System.getProperty("os.arch", "");
        if (!System.getProperty("os.name", "").equals("Linux") || !(arch.equals("amd64") || arch.equals("aarch64"))) {
            return null; // the flags' values below are those of Linux on x86-64 and arm64
        }
        try {
            Linker linker = Linker.nativeLinker();
            ValueLayout.OfInt i = ValueLayout.JAVA_INT;
            ValueLayout.OfLong l = ValueLayout.JAVA_LONG;
            return new MethodHandle[] {
                linker.downcallHandle(
                        linker.defaultLookup().find("mmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, l, i, i, i, l)),
                linker.downcallHandle(
                        linker.defaultLookup().find("madvise").orElseThrow(),
                        FunctionDescriptor.of(i, ValueLayout.ADDRESS, l, i)),
                linker.downcallHandle(
                        linker.defaultLookup().find("munmap").orElseThrow(),
                        FunctionDescriptor.of(i, ValueLayout.ADDRESS, l))
            };
        } catch (RuntimeException | LinkageError e) {
            return null; // no native access, or not such a libc: plain allocation
        }
    }

    /** {@code bytes} of zeroed memory, 64-byte aligned, freed when {@code arena} closes. */
    public static MemorySegment allocate(long bytes, Arena arena) {
        if (CALLS == null || bytes < HUGE_PAGE) {
            return arena.allocate(Math.max(1, bytes), 64).asSlice(0, bytes);
        }
        try {
            MemorySegment at = (MemorySegment)
                    CALLS[0].invokeExact(MemorySegment.NULL, bytes, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (at.address() == -1L) { // MAP_FAILED
                return arena.allocate(bytes, 64);
            }
            int unused = (int) CALLS[1].invokeExact(at, bytes, MADV_HUGEPAGE); // a hint: refused, nothing changes
            return at.reinterpret(bytes, arena, start -> unmap(start, bytes)); // the cleanup sees no length
        } catch (Throwable e) {
            throw new IllegalStateException("mmap of " + bytes + " bytes", e);
        }
    }

    private static void unmap(MemorySegment at, long bytes) {
        try {
            int unused = (int) CALLS[2].invokeExact(at, bytes);
        } catch (Throwable e) {
            throw new IllegalStateException("munmap", e);
        }
    }
}
