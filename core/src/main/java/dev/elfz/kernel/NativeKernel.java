package dev.elfz.kernel;

import dev.elfz.bindings.elfz_h;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The C kernel through the jextract bindings. Arguments are checked in {@link AbstractKernel} before any
 * downcall, so the C code only sees lengths that fit.
 *
 * <p>Native segments (off-heap, mapped) go through the bindings' handles. Heap segments cannot cross a
 * plain downcall, so calls that involve one use a critical handle built from the same binding
 * (address and descriptor): the array is passed in place, and the JVM defers GC for the length of the call.
 *
 * <p>The C library picks its instruction set once per process (cpuid + XCR0, capped by ELFZ_MAX_ISA);
 * {@link #selectIsa} changes it for every caller and is meant for tests and benchmarks.
 */
public final class NativeKernel extends AbstractKernel {

    /** Initialised on first use, after the library is loaded: the bindings resolve symbols eagerly. */
    private static final class Heap {
        static final MethodHandle ENCODE = critical(elfz_h.elfz_elf_encode$address(), elfz_h.elfz_elf_encode$descriptor());
        static final MethodHandle DECODE = critical(elfz_h.elfz_elf_decode$address(), elfz_h.elfz_elf_decode$descriptor());
        static final MethodHandle PACK = critical(elfz_h.elfz_pack_bits$address(), elfz_h.elfz_pack_bits$descriptor());
        static final MethodHandle UNPACK = critical(elfz_h.elfz_unpack_bits$address(), elfz_h.elfz_unpack_bits$descriptor());
        static final MethodHandle QUANTIZE = critical(elfz_h.elfz_quantize$address(), elfz_h.elfz_quantize$descriptor());
        static final MethodHandle DEQUANTIZE = critical(elfz_h.elfz_dequantize$address(), elfz_h.elfz_dequantize$descriptor());
        static final MethodHandle BUCKETIZE = critical(elfz_h.elfz_bucketize$address(), elfz_h.elfz_bucketize$descriptor());
        static final MethodHandle LOOKUP = critical(elfz_h.elfz_lookup$address(), elfz_h.elfz_lookup$descriptor());
        static final MethodHandle ENTROPY_ENCODE = critical(elfz_h.elfz_entropy_encode$address(),
                elfz_h.elfz_entropy_encode$descriptor());
        static final MethodHandle ENTROPY_DECODE = critical(elfz_h.elfz_entropy_decode$address(),
                elfz_h.elfz_entropy_decode$descriptor());
        static final MethodHandle PLANES_SPLIT = critical(elfz_h.elfz_planes_split$address(), elfz_h.elfz_planes_split$descriptor());
        static final MethodHandle PLANES_JOIN = critical(elfz_h.elfz_planes_join$address(), elfz_h.elfz_planes_join$descriptor());
        static final MethodHandle GRID_ENCODE = critical(elfz_h.elfz_grid_encode$address(), elfz_h.elfz_grid_encode$descriptor());
        static final MethodHandle GRID_DECODE = critical(elfz_h.elfz_grid_decode$address(), elfz_h.elfz_grid_decode$descriptor());

        private static MethodHandle critical(MemorySegment address, FunctionDescriptor descriptor) {
            return Linker.nativeLinker().downcallHandle(address, descriptor, Linker.Option.critical(true));
        }
    }

    /** @throws IllegalStateException saying why, when the native library did not load */
    NativeKernel() {
        requireLibrary();
    }

    private static void requireLibrary() {
        if (!NativeLibrary.get().available()) {
            throw new IllegalStateException("native kernel unavailable: " + NativeLibrary.get().unavailableReason());
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
    protected long encode(ElfType type, MemorySegment src, long n, MemorySegment codes,
                          MemorySegment excPos, MemorySegment excBits, long excCap, long posBase) {
        long r;
        if (onHeap(src, codes, excPos, excBits)) {
            try {
                r = (long) Heap.ENCODE.invokeExact(type.nativeId(), src, n, codes, codes.byteSize(),
                        excPos, excBits, excCap, posBase);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_elf_encode(type.nativeId(), src, n, codes, codes.byteSize(), excPos, excBits,
                    excCap, posBase);
        }
        return check(r, "encode");
    }

    @Override
    protected void decode(ElfType type, MemorySegment codes, long n, MemorySegment dst,
                          MemorySegment excPos, MemorySegment excBits, long nExc, long posBase) {
        long r;
        if (onHeap(codes, dst, excPos, excBits)) {
            try {
                r = (long) Heap.DECODE.invokeExact(type.nativeId(), codes, codes.byteSize(), n, dst,
                        dst.byteSize(), excPos, excBits, nExc, posBase);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_elf_decode(type.nativeId(), codes, codes.byteSize(), n, dst, dst.byteSize(),
                    excPos, excBits, nExc, posBase);
        }
        check(r, "decode");
    }

    @Override
    protected void pack(MemorySegment codes, long n, int width, MemorySegment dst) {
        long r;
        if (onHeap(codes, dst)) {
            try {
                r = (long) Heap.PACK.invokeExact(codes, n, width, dst, dst.byteSize());
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_pack_bits(codes, n, width, dst, dst.byteSize());
        }
        check(r, "pack");
    }

    @Override
    protected void unpack(MemorySegment src, long n, int width, MemorySegment codes) {
        long r;
        if (onHeap(src, codes)) {
            try {
                r = (long) Heap.UNPACK.invokeExact(src, src.byteSize(), n, width, codes, codes.byteSize());
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_unpack_bits(src, src.byteSize(), n, width, codes, codes.byteSize());
        }
        check(r, "unpack");
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

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }

    @Override
    protected void quantizeChecked(ElfType type, MemorySegment src, long n, long groupSize, long groupOffset,
                                   MemorySegment scales, MemorySegment zeros, int bits, MemorySegment codes) {
        int r;
        if (onHeap(src, scales, zeros, codes)) {
            try {
                r = (int) Heap.QUANTIZE.invokeExact(type.nativeId(), src, n, groupSize, groupOffset, scales, zeros,
                        bits, codes);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_quantize(type.nativeId(), src, n, groupSize, groupOffset, scales, zeros, bits, codes);
        }
        check(r, "quantize");
    }

    @Override
    protected void dequantizeChecked(ElfType type, MemorySegment codes, long n, long groupSize, long groupOffset,
                                     MemorySegment scales, MemorySegment zeros, int bits, MemorySegment dst) {
        int r;
        if (onHeap(codes, scales, zeros, dst)) {
            try {
                r = (int) Heap.DEQUANTIZE.invokeExact(type.nativeId(), codes, n, groupSize, groupOffset, scales, zeros,
                        bits, dst);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_dequantize(type.nativeId(), codes, n, groupSize, groupOffset, scales, zeros, bits, dst);
        }
        check(r, "dequantize");
    }

    @Override
    protected void bucketizeChecked(ElfType type, MemorySegment src, long n, MemorySegment bounds, int nBounds,
                                    MemorySegment codes) {
        int r;
        if (onHeap(src, bounds, codes)) {
            try {
                r = (int) Heap.BUCKETIZE.invokeExact(type.nativeId(), src, n, bounds, nBounds, codes);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_bucketize(type.nativeId(), src, n, bounds, nBounds, codes);
        }
        check(r, "bucketize");
    }

    @Override
    protected void lookupChecked(ElfType type, MemorySegment codes, long n, MemorySegment table, int bits,
                                 MemorySegment dst) {
        int r;
        if (onHeap(codes, table, dst)) {
            try {
                r = (int) Heap.LOOKUP.invokeExact(type.nativeId(), codes, n, table, bits, dst);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_lookup(type.nativeId(), codes, n, table, bits, dst);
        }
        check(r, "lookup");
    }

    @Override
    protected void planesSplitChecked(MemorySegment src, long n, int width, boolean rotate, MemorySegment planes) {
        long r;
        if (onHeap(src, planes)) {
            try {
                r = (long) Heap.PLANES_SPLIT.invokeExact(src, n, width, rotate ? 1 : 0, planes, planes.byteSize());
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_planes_split(src, n, width, rotate ? 1 : 0, planes, planes.byteSize());
        }
        check(r, "planes split");
    }

    @Override
    protected void planesJoinChecked(MemorySegment planes, long n, int width, boolean rotate, MemorySegment dst) {
        long r;
        if (onHeap(planes, dst)) {
            try {
                r = (long) Heap.PLANES_JOIN.invokeExact(planes, planes.byteSize(), n, width, rotate ? 1 : 0, dst,
                        dst.byteSize());
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_planes_join(planes, planes.byteSize(), n, width, rotate ? 1 : 0, dst, dst.byteSize());
        }
        check(r, "planes join");
    }

    @Override
    protected long gridEncodeChecked(ElfType type, MemorySegment src, long n, double step, double bound,
                                     MemorySegment codes, MemorySegment excPos, MemorySegment excBits, long excCap,
                                     long posBase) {
        long r;
        if (onHeap(src, codes, excPos, excBits)) {
            try {
                r = (long) Heap.GRID_ENCODE.invokeExact(type.nativeId(), src, n, step, bound, codes, codes.byteSize(),
                        excPos, excBits, excCap, posBase);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_grid_encode(type.nativeId(), src, n, step, bound, codes, codes.byteSize(), excPos, excBits,
                    excCap, posBase);
        }
        return check(r, "grid encode");
    }

    @Override
    protected void gridDecodeChecked(ElfType type, MemorySegment codes, long n, double step, MemorySegment dst,
                                     MemorySegment excPos, MemorySegment excBits, long nExc, long posBase) {
        long r;
        if (onHeap(codes, dst, excPos, excBits)) {
            try {
                r = (long) Heap.GRID_DECODE.invokeExact(type.nativeId(), codes, codes.byteSize(), n, step, dst,
                        dst.byteSize(), excPos, excBits, nExc, posBase);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_grid_decode(type.nativeId(), codes, codes.byteSize(), n, step, dst, dst.byteSize(),
                    excPos, excBits, nExc, posBase);
        }
        check(r, "grid decode");
    }

    @Override
    protected long entropyEncodeChecked(MemorySegment src, long n, MemorySegment dst) {
        long r;
        if (onHeap(src, dst)) {
            try {
                r = (long) Heap.ENTROPY_ENCODE.invokeExact(src, n, dst, dst.byteSize());
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_entropy_encode(src, n, dst, dst.byteSize());
        }
        return check(r, "entropy encode");
    }

    @Override
    protected void entropyDecodeChecked(MemorySegment stored, long n, MemorySegment dst) {
        long r;
        if (onHeap(stored, dst)) {
            try {
                r = (long) Heap.ENTROPY_DECODE.invokeExact(stored, stored.byteSize(), dst, n);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        } else {
            r = elfz_h.elfz_entropy_decode(stored, stored.byteSize(), dst, n);
        }
        if (r == elfz_h.ELFZ_E_CORRUPT()) {
            throw new CorruptDataException("native entropy decode: " + stored.byteSize()
                    + " bytes are not an entropy plane of " + n + " bytes (a bad mode, header, code lengths or stream)");
        }
        check(r, "entropy decode");
    }
}
