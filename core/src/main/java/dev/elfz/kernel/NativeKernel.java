package dev.elfz.kernel;

import dev.elfz.bindings.elfz_h;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The C kernel through the jextract bindings. Arguments are checked in {@link AbstractKernel} before any
 * downcall, so the C code only sees lengths that fit.
 *
 * <p>Every operation makes one call through its handle in {@code Calls}, and {@code check} turns a negative status
 * into an exception. Native segments (off-heap, mapped) go through a plain downcall, as the bindings make it. Heap
 * segments cannot cross a plain downcall, so calls that involve one go through a critical downcall of the same
 * address and descriptor: the array is passed in place, and the JVM defers GC for the length of the call. Plain stays
 * the rule so that long calls on native memory never hold GC off.
 *
 * <p>The C library picks its instruction set once per process (cpuid + XCR0, capped by ELFZ_MAX_ISA);
 * {@link #selectIsa} changes it for every caller and is meant for tests and benchmarks.
 */
public final class NativeKernel extends AbstractKernel {

    /**
     * One handle per C function. Each links on its first call (a command links only the functions it calls: every link
     * spins downcall stubs, tens of milliseconds at start-up), then takes the binding's arguments and picks per call
     * between two downcalls of the binding's address and descriptor: a plain one when every segment is native, else a
     * critical one.
     */
    private static final class Calls {
        private static final MethodHandle ON_HEAP = onHeapHandle();

        /*
         * One holder class per function: the JVM initializes a holder, and so links its function, on the first call
         * through it. (A call site per function that linked itself on its first call cost about 140 classes spun at
         * every start, for its argument collectors, whether the function was called or not.)
         */
        static final class ElfEncode {
            static final MethodHandle H = link("elfz_elf_encode");
        }

        static final class ElfDecode {
            static final MethodHandle H = link("elfz_elf_decode");
        }

        static final class Pack {
            static final MethodHandle H = link("elfz_pack_bits");
        }

        static final class Unpack {
            static final MethodHandle H = link("elfz_unpack_bits");
        }

        static final class Quantize {
            static final MethodHandle H = link("elfz_quantize");
        }

        static final class Dequantize {
            static final MethodHandle H = link("elfz_dequantize");
        }

        static final class Bucketize {
            static final MethodHandle H = link("elfz_bucketize");
        }

        static final class Lookup {
            static final MethodHandle H = link("elfz_lookup");
        }

        static final class EntropyEncode {
            static final MethodHandle H = link("elfz_entropy_encode");
        }

        static final class EntropyDecode {
            static final MethodHandle H = link("elfz_entropy_decode");
        }

        static final class PlanesSplit {
            static final MethodHandle H = link("elfz_planes_split");
        }

        static final class PlanesJoin {
            static final MethodHandle H = link("elfz_planes_join");
        }

        static final class GridEncode {
            static final MethodHandle H = link("elfz_grid_encode");
        }

        static final class GridDecode {
            static final MethodHandle H = link("elfz_grid_decode");
        }

        /** The binding's address and descriptor of a function (read by reflection), linked by {@link #either}. */
        private static MethodHandle link(String function) {
            try {
                MemorySegment address = (MemorySegment)
                        elfz_h.class.getMethod(function + "$address").invoke(null);
                FunctionDescriptor descriptor = (FunctionDescriptor)
                        elfz_h.class.getMethod(function + "$descriptor").invoke(null);
                return either(address, descriptor);
            } catch (ReflectiveOperationException e) {
                throw new LinkageError("no binding " + function, e);
            }
        }

        /** plain(args) when no segment argument is on the heap, else critical(args). */
        private static MethodHandle either(MemorySegment address, FunctionDescriptor descriptor) {
            Linker linker = Linker.nativeLinker();
            MethodHandle plain = linker.downcallHandle(address, descriptor); // as the binding makes its own
            MethodHandle critical = linker.downcallHandle(address, descriptor, Linker.Option.critical(true));
            return MethodHandles.guardWithTest(anySegmentOnHeap(plain.type()), critical, plain);
        }

        /** A test of the call's arguments: onHeap over its segment arguments, the others dropped. */
        private static MethodHandle anySegmentOnHeap(MethodType call) {
            int[] segments = IntStream.range(0, call.parameterCount())
                    .filter(i -> call.parameterType(i) == MemorySegment.class)
                    .toArray();
            MethodHandle onHeap = ON_HEAP.asCollector(MemorySegment[].class, segments.length);
            return MethodHandles.permuteArguments(onHeap, call.changeReturnType(boolean.class), segments);
        }

        private static MethodHandle onHeapHandle() {
            try {
                return MethodHandles.lookup()
                        .findStatic(
                                NativeKernel.class,
                                "onHeap",
                                MethodType.methodType(boolean.class, MemorySegment[].class));
            } catch (ReflectiveOperationException e) {
                throw new LinkageError("NativeKernel.onHeap", e);
            }
        }
    }

    /** @throws IllegalStateException saying why, when the native library did not load */
    NativeKernel() {
        requireLibrary();
    }

    private static void requireLibrary() {
        if (!NativeLibrary.get().available()) {
            throw new IllegalStateException(
                    "native kernel unavailable: " + NativeLibrary.get().unavailableReason());
        }
    }

    @Override
    public String name() {
        return "native-" + isaName(elfz_h.elfz_isa_active());
    }

    /** The ISA in use: scalar or avx2. */
    public static String activeIsa() {
        requireLibrary();
        return isaName(elfz_h.elfz_isa_active());
    }

    /** The best ISA this CPU supports. */
    public static String supportedIsa() {
        requireLibrary();
        return isaName(elfz_h.elfz_isa_supported());
    }

    /** Every ISA this CPU and build support, lowest first: scalar, then avx2, avx512 where present. */
    public static List<String> supportedIsas() {
        requireLibrary();
        List<String> isas = new ArrayList<>();
        for (int id = elfz_h.ELFZ_ISA_SCALAR(); id <= elfz_h.elfz_isa_supported(); id++) {
            isas.add(isaName(id));
        }
        return isas;
    }

    /**
     * Switches the process's native ISA ("scalar", "avx2", "avx512").
     *
     * @throws IllegalArgumentException for an unknown name or an ISA this CPU lacks
     */
    public static void selectIsa(String isa) {
        requireLibrary();
        int id = switch (isa) {
            case "scalar" -> elfz_h.ELFZ_ISA_SCALAR();
            case "avx2" -> elfz_h.ELFZ_ISA_AVX2();
            case "avx512" -> elfz_h.ELFZ_ISA_AVX512();
            default -> throw new IllegalArgumentException("unknown ISA " + isa + " (scalar, avx2, avx512)");
        };
        if (elfz_h.elfz_isa_select(id) < 0) {
            throw new IllegalArgumentException("this CPU lacks " + isa + " (it supports " + supportedIsas() + ")");
        }
    }

    private static String isaName(int isa) {
        return elfz_h.elfz_isa_name(isa).getString(0);
    }

    @Override
    protected long encode(
            ElfType type,
            MemorySegment src,
            long n,
            MemorySegment codes,
            MemorySegment excPos,
            MemorySegment excBits,
            long excCap,
            long posBase) {
        try {
            return check(
                    (long) Calls.ElfEncode.H.invokeExact(
                            type.nativeId(), src, n, codes, codes.byteSize(), excPos, excBits, excCap, posBase),
                    "encode");
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    @Override
    protected void decode(
            ElfType type,
            MemorySegment codes,
            long n,
            MemorySegment dst,
            MemorySegment excPos,
            MemorySegment excBits,
            long nExc,
            long posBase) {
        try {
            check(
                    (long) Calls.ElfDecode.H.invokeExact(
                            type.nativeId(),
                            codes,
                            codes.byteSize(),
                            n,
                            dst,
                            dst.byteSize(),
                            excPos,
                            excBits,
                            nExc,
                            posBase),
                    "decode");
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    @Override
    protected void pack(MemorySegment codes, long n, int width, MemorySegment dst) {
        try {
            check((long) Calls.Pack.H.invokeExact(codes, n, width, dst, dst.byteSize()), "pack");
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    @Override
    protected void unpack(MemorySegment src, long n, int width, MemorySegment codes) {
        try {
            check((long) Calls.Unpack.H.invokeExact(src, src.byteSize(), n, width, codes, codes.byteSize()), "unpack");
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    @Override
    protected void quantizeChecked(
            ElfType type,
            MemorySegment src,
            long n,
            long groupSize,
            long groupOffset,
            MemorySegment scales,
            MemorySegment zeros,
            int bits,
            MemorySegment codes) {
        try {
            check(
                    (int) Calls.Quantize.H.invokeExact(
                            type.nativeId(), src, n, groupSize, groupOffset, scales, zeros, bits, codes),
                    "quantize");
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    @Override
    protected void dequantizeChecked(
            ElfType type,
            MemorySegment codes,
            long n,
            long groupSize,
            long groupOffset,
            MemorySegment scales,
            MemorySegment zeros,
            int bits,
            MemorySegment dst) {
        try {
            check(
                    (int) Calls.Dequantize.H.invokeExact(
                            type.nativeId(), codes, n, groupSize, groupOffset, scales, zeros, bits, dst),
                    "dequantize");
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    @Override
    protected void bucketizeChecked(
            ElfType type, MemorySegment src, long n, MemorySegment bounds, int nBounds, MemorySegment codes) {
        try {
            check((int) Calls.Bucketize.H.invokeExact(type.nativeId(), src, n, bounds, nBounds, codes), "bucketize");
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    @Override
    protected void lookupChecked(
            ElfType type, MemorySegment codes, long n, MemorySegment table, int bits, MemorySegment dst) {
        try {
            check((int) Calls.Lookup.H.invokeExact(type.nativeId(), codes, n, table, bits, dst), "lookup");
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    @Override
    protected void planesSplitChecked(MemorySegment src, long n, int width, boolean rotate, MemorySegment planes) {
        try {
            check(
                    (long) Calls.PlanesSplit.H.invokeExact(src, n, width, rotate ? 1 : 0, planes, planes.byteSize()),
                    "planes split");
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    @Override
    protected void planesJoinChecked(MemorySegment planes, long n, int width, boolean rotate, MemorySegment dst) {
        try {
            check(
                    (long) Calls.PlanesJoin.H.invokeExact(
                            planes, planes.byteSize(), n, width, rotate ? 1 : 0, dst, dst.byteSize()),
                    "planes join");
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    @Override
    protected long gridEncodeChecked(
            ElfType type,
            MemorySegment src,
            long n,
            double step,
            double bound,
            MemorySegment codes,
            MemorySegment excPos,
            MemorySegment excBits,
            long excCap,
            long posBase) {
        try {
            return check(
                    (long) Calls.GridEncode.H.invokeExact(
                            type.nativeId(),
                            src,
                            n,
                            step,
                            bound,
                            codes,
                            codes.byteSize(),
                            excPos,
                            excBits,
                            excCap,
                            posBase),
                    "grid encode");
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    @Override
    protected void gridDecodeChecked(
            ElfType type,
            MemorySegment codes,
            long n,
            double step,
            MemorySegment dst,
            MemorySegment excPos,
            MemorySegment excBits,
            long nExc,
            long posBase) {
        try {
            check(
                    (long) Calls.GridDecode.H.invokeExact(
                            type.nativeId(),
                            codes,
                            codes.byteSize(),
                            n,
                            step,
                            dst,
                            dst.byteSize(),
                            excPos,
                            excBits,
                            nExc,
                            posBase),
                    "grid decode");
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    @Override
    protected long entropyEncodeChecked(MemorySegment src, long n, MemorySegment dst) {
        try {
            return check((long) Calls.EntropyEncode.H.invokeExact(src, n, dst, dst.byteSize()), "entropy encode");
        } catch (Throwable t) {
            throw unchecked(t);
        }
    }

    @Override
    protected void entropyDecodeChecked(MemorySegment stored, long n, MemorySegment dst) {
        long r;
        try {
            r = (long) Calls.EntropyDecode.H.invokeExact(stored, stored.byteSize(), dst, n);
        } catch (Throwable t) {
            throw unchecked(t);
        }
        if (r == elfz_h.ELFZ_E_CORRUPT()) {
            throw new CorruptDataException(
                    "native entropy decode: " + stored.byteSize() + " bytes are not an entropy plane of " + n
                            + " bytes (a bad mode, header, code lengths or stream)");
        }
        check(r, "entropy decode");
    }

    private static boolean onHeap(MemorySegment... segments) {
        for (MemorySegment s : segments) {
            if (!s.isNative()) {
                return true;
            }
        }
        return false;
    }

    /** Java checked everything first, so a negative status here is a bug on one side or the other. */
    private static long check(long status, String what) {
        if (status < 0) {
            String message = elfz_h.elfz_status_message(status).getString(0);
            if (status == elfz_h.ELFZ_E_CORRUPT()) {
                throw new CorruptDataException("native " + what + ": " + message);
            }
            throw new IllegalStateException("native " + what + " failed (" + status + "): " + message);
        }
        return status;
    }

    /** What invokeExact threw, unchanged when unchecked (check's exceptions among them); a checked one wrapped. */
    private static RuntimeException unchecked(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
