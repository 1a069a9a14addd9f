package dev.elfz.io;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
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

    /**
     * A downcall that does nothing (getpid). Once the copy is JIT-compiled, HotSpot raises its fault asynchronously, at
     * the next safepoint poll, which may lie outside the try; the return from native code raises it at once (tested
     * on JDK 25, ChangingInputTest). Without native access, Thread.yield (a native method) does the same.
     */
    private static final MethodHandle ROUND_TRIP = find();

    private MappedInput() {}

    private static MethodHandle find() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup()
                    .find("getpid")
                    .map(addr -> linker.downcallHandle(addr, FunctionDescriptor.of(ValueLayout.JAVA_INT)))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /**
     * Copies all of {@code mapped} to the start of {@code into} (private memory at least as large) and returns that
     * slice of {@code into}.
     */
    public static MemorySegment copy(Path file, MemorySegment mapped, MemorySegment into) throws InputChangedException {
        try {
            MemorySegment.copy(mapped, 0, into, 0, mapped.byteSize());
            raiseFaults();
        } catch (InternalError e) { // "a fault occurred in an unsafe memory access operation"
            throw new InputChangedException(file, e);
        }
        return into.asSlice(0, mapped.byteSize());
    }

    /** A pass over a tensor's values, a part at a time: {@code part} holds values {@code first}, {@code first + 1}, .... */
    @FunctionalInterface
    public interface ValuePass {
        void accept(MemorySegment part, long first);
    }

    /** Bytes of one part of {@link #forEachPart}: large enough that the copy is a bulk one, small enough to stay cached. */
    static final long PART_BYTES = 1 << 20;

    /**
     * Hands {@code pass} all the values of {@code data} ({@code valueBytes} each) in order, about 1 MiB of whole values
     * at a time: whole-tensor passes over a mapped input, in flat memory (each part's mapped pages let go once copied). When {@code file} is not null, {@code data}
     * is a mapping of it and each part is a {@link #copy} into one private buffer, reused; when null, {@code data}
     * is private memory and the parts are its slices.
     */
    public static void forEachPart(Path file, MemorySegment data, int valueBytes, ValuePass pass)
            throws InputChangedException {
        long step = PART_BYTES / valueBytes * valueBytes;
        try (Arena arena = file == null ? null : Arena.ofConfined()) {
            MemorySegment buffer = arena == null ? null : arena.allocate(Math.min(step, data.byteSize()), 64);
            for (long off = 0; off < data.byteSize(); off += step) {
                MemorySegment part = data.asSlice(off, Math.min(step, data.byteSize() - off));
                if (buffer != null) {
                    Pages.populate(part);
                    MemorySegment mapped = part;
                    part = copy(file, mapped, buffer);
                    Pages.releaseTouched(mapped); // read for good: resident memory stays flat in tensor size
                }
                pass.accept(part, off / valueBytes);
            }
        }
    }

    /**
     * Raises now, as an InternalError, a fault of a guarded copy from a mapping made before (a return from native
     * code); for code that copies out of a mapping by other means than {@link #copy}.
     */
    public static void raiseFaults() {
        if (ROUND_TRIP == null) {
            Thread.yield();
            return;
        }
        try {
            int unused = (int) ROUND_TRIP.invokeExact();
        } catch (InternalError e) {
            throw e;
        } catch (Throwable e) {
            throw new AssertionError("getpid failed", e);
        }
    }
}
