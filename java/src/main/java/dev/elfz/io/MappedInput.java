package dev.elfz.io;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The one way elfz reads the bytes of a mapped input file: a copy into private memory. A page of a file cut short
 * while it is mapped raises SIGBUS when touched. HotSpot turns that into an {@link InternalError} only inside its
 * guarded bulk copy (Unsafe.copyMemory, which {@link MemorySegment#copy} uses) and in interpreted code; inside
 * native code (the C kernel), intrinsic stubs (CRC32C, {@code mismatch}) and some C2-compiled loops over a segment it
 * kills the JVM. So kernels, checksums and comparisons only ever see such a copy, and a fault during the copy
 * becomes an {@link InputChangedException} naming the file.
 */
public final class MappedInput {

    private MappedInput() {}

    /**
     * Copies all of {@code mapped} to the start of {@code into} (private memory at least as large) and returns that
     * slice of {@code into}.
     */
    public static MemorySegment copy(Path file, MemorySegment mapped, MemorySegment into) throws InputChangedException {
        try {
            MemorySegment.copy(mapped, 0, into, 0, mapped.byteSize());
        } catch (InternalError e) { // "a fault occurred in an unsafe memory access operation"
            throw new InputChangedException(file, e);
        }
        return into.asSlice(0, mapped.byteSize());
    }
}
