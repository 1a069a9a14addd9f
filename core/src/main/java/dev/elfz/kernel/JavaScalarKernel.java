package dev.elfz.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The pure-Java kernel in plain loops (no Vector API): the twin of the C scalar reference
 * (native/src/elfz_scalar.c), byte for byte. Its range methods are also the tails (and the F64 path) of
 * {@link JavaVectorKernel}; the per-value arithmetic is {@link ElfCodes}.
 *
 * <p>Layout (FORMAT.md): for n codes of width w = 8k + r, k byte planes of n bytes each, most significant
 * byte first, then the low r bits of every code packed LSB-first, 8 codes to r bytes. A range always
 * starts at a multiple of 8 so the packed plane starts on a byte boundary.
 */
public final class JavaScalarKernel extends AbstractKernel {

    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Exception positions are native-order int64, as AbstractKernel reads them and the C API takes them. */
    static final ValueLayout.OfLong POS = ValueLayout.JAVA_LONG_UNALIGNED;

    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    /** Bits of the packed remainder plane per type (F16 3, F64 5). */
    private static final int F16_REM = 3;

    private static final int F64_REM = 5;

    @Override
    public String name() {
        return "java-scalar";
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
        ExceptionSink sink = new ExceptionSink(type, excPos, excBits, excCap, posBase);
        encodeRange(type, src, n, 0, codes, sink);
        return sink.count();
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
        decodeRange(type, codes, n, 0, dst);
        patchExceptions(type, dst, excPos, excBits, nExc, posBase);
    }

    @Override
    protected void pack(MemorySegment codes, long n, int width, MemorySegment dst) {
        packRange(codes, n, 0, width, dst);
    }

    @Override
    protected void unpack(MemorySegment src, long n, int width, MemorySegment codes) {
        unpackRange(src, n, 0, width, codes);
    }

    // ---------------------------------------------------------------------------------------------
    // Ranges [start, n) of a block of n values; start is a multiple of 8.

    static void encodeRange(
            ElfType type, MemorySegment src, long n, long start, MemorySegment codes, ExceptionSink sink) {
        switch (type) {
            case F32 -> encodeF32(src, n, start, codes, sink);
            case F16 -> encodeF16(src, n, start, codes, sink);
            case BF16 -> encodeBf16(src, n, start, codes, sink);
            case F64 -> encodeF64(src, n, start, codes, sink);
        }
    }

    static void decodeRange(ElfType type, MemorySegment codes, long n, long start, MemorySegment dst) {
        switch (type) {
            case F32 -> decodeF32(codes, n, start, dst);
            case F16 -> decodeF16(codes, n, start, dst);
            case BF16 -> decodeBf16(codes, n, start, dst);
            case F64 -> decodeF64(codes, n, start, dst);
        }
    }

    /** Writes the exceptions back over the decoded values; positions were checked by AbstractKernel. */
    static void patchExceptions(
            ElfType type, MemorySegment dst, MemorySegment excPos, MemorySegment excBits, long nExc, long posBase) {
        long size = type.valueBytes();
        for (long i = 0; i < nExc; i++) {
            long at = (excPos.getAtIndex(POS, i) - posBase) * size;
            MemorySegment.copy(excBits, i * size, dst, at, size);
        }
    }

    /**
     * Values per chunk of encode. A chunk is coded by a loop whose only side effect is the code planes,
     * noting whether any value was an exception; only then is the chunk scanned again to record them, in
     * order. Keeping the rare call out of the hot loop is what lets the JIT make it fast. A multiple of 8.
     */
    static final int CHUNK = 256;

    /** Records the exceptions among values [from, to), in order; the rare path of every encoder. */
    static void recordExceptions(ElfType type, MemorySegment src, long from, long to, ExceptionSink sink) {
        for (long i = from; i < to; i++) {
            switch (type) {
                case F32 -> {
                    int bits = src.get(LE_INT, i << 2);
                    if (ElfCodes.f32Code(bits) < 0) {
                        sink.put(i, bits);
                    }
                }
                case F16 -> {
                    int bits = src.get(LE_SHORT, i << 1) & 0xffff;
                    if (ElfCodes.f16Code(bits) < 0) {
                        sink.put(i, bits);
                    }
                }
                case BF16 -> {
                    int bits = src.get(LE_SHORT, i << 1) & 0xffff;
                    if (ElfCodes.bf16Code(bits) < 0) {
                        sink.put(i, bits);
                    }
                }
                case F64 -> {
                    long bits = src.get(LE_LONG, i << 3);
                    if (ElfCodes.f64Code(bits) < 0) {
                        sink.put(i, bits);
                    }
                }
            }
        }
    }

    // F32: three byte planes, no remainder.

    static void encodeF32(MemorySegment src, long n, long start, MemorySegment codes, ExceptionSink sink) {
        for (long from = start; from < n; from += CHUNK) {
            long to = Math.min(from + CHUNK, n);
            if (encodeF32Chunk(src, n, from, to, codes)) {
                recordExceptions(ElfType.F32, src, from, to, sink);
            }
        }
    }

    /** Codes values [from, to), exceptions as 0; returns whether there was one. */
    private static boolean encodeF32Chunk(MemorySegment src, long n, long from, long to, MemorySegment codes) {
        final long plane1 = n;
        final long plane2 = 2 * n;
        boolean exceptions = false;
        for (long i = from; i < to; i++) {
            int c = ElfCodes.f32Code(src.get(LE_INT, i << 2));
            exceptions |= c < 0;
            c = c < 0 ? 0 : c;
            codes.set(BYTE, i, (byte) (c >>> 16));
            codes.set(BYTE, plane1 + i, (byte) (c >>> 8));
            codes.set(BYTE, plane2 + i, (byte) c);
        }
        return exceptions;
    }

    static void decodeF32(MemorySegment codes, long n, long start, MemorySegment dst) {
        final long plane1 = n;
        final long plane2 = 2 * n;
        for (long i = start; i < n; i++) {
            int c = (codes.get(BYTE, i) & 0xff) << 16
                    | (codes.get(BYTE, plane1 + i) & 0xff) << 8
                    | (codes.get(BYTE, plane2 + i) & 0xff);
            dst.set(LE_INT, i << 2, ElfCodes.f32Value(c));
        }
    }

    // BF16: one byte plane, no remainder.

    static void encodeBf16(MemorySegment src, long n, long start, MemorySegment codes, ExceptionSink sink) {
        for (long from = start; from < n; from += CHUNK) {
            long to = Math.min(from + CHUNK, n);
            if (encodeBf16Chunk(src, from, to, codes)) {
                recordExceptions(ElfType.BF16, src, from, to, sink);
            }
        }
    }

    private static boolean encodeBf16Chunk(MemorySegment src, long from, long to, MemorySegment codes) {
        boolean exceptions = false;
        for (long i = from; i < to; i++) {
            int c = ElfCodes.bf16Code(src.get(LE_SHORT, i << 1) & 0xffff);
            exceptions |= c < 0;
            codes.set(BYTE, i, (byte) (c < 0 ? 0 : c));
        }
        return exceptions;
    }

    static void decodeBf16(MemorySegment codes, long n, long start, MemorySegment dst) {
        for (long i = start; i < n; i++) {
            dst.set(LE_SHORT, i << 1, (short) ElfCodes.bf16Value(codes.get(BYTE, i) & 0xff));
        }
    }

    // F16: one byte plane (code >>> 3), then the low 3 bits packed, 8 codes to 3 bytes.

    static void encodeF16(MemorySegment src, long n, long start, MemorySegment codes, ExceptionSink sink) {
        final long remEnd = ElfType.F16.codeBytes(n);
        for (long from = start; from < n; from += CHUNK) {
            long to = Math.min(from + CHUNK, n);
            boolean exceptions = false;
            long g = from;
            for (; g + 8 <= to; g += 8) {
                exceptions |= encodeF16Group(src, n, g, 8, codes, remEnd);
            }
            if (g < to) {
                exceptions |= encodeF16Group(src, n, g, (int) (to - g), codes, remEnd);
            }
            if (exceptions) {
                recordExceptions(ElfType.F16, src, from, to, sink);
            }
        }
    }

    /**
     * Codes the group of {@code cnt} (1..8) values at g, exceptions as 0; returns whether there was one.
     * The 8 plane bytes are gathered in a long so that a whole group costs one store.
     */
    private static boolean encodeF16Group(
            MemorySegment src, long n, long g, int cnt, MemorySegment codes, long remEnd) {
        boolean exceptions = false;
        long plane = 0;
        long low = 0;
        for (int j = 0; j < cnt; j++) {
            int c = ElfCodes.f16Code(src.get(LE_SHORT, (g + j) << 1) & 0xffff);
            exceptions |= c < 0;
            c &= ~(c >> 31); // 0 for an exception
            plane |= (long) (c >>> F16_REM) << (8 * j);
            low |= (long) (c & 7) << (8 * j);
        }
        storeLe(codes, g, plane, cnt);
        storeGroup(codes, n + (g >>> 3) * F16_REM, ElfCodes.pack8(low, F16_REM), cnt, F16_REM, remEnd);
        return exceptions;
    }

    static void decodeF16(MemorySegment codes, long n, long start, MemorySegment dst) {
        final long remEnd = ElfType.F16.codeBytes(n);
        long g = start;
        for (; g + 8 <= n; g += 8) {
            decodeF16Group(codes, n, g, 8, dst, remEnd);
        }
        if (g < n) {
            decodeF16Group(codes, n, g, (int) (n - g), dst, remEnd);
        }
    }

    private static void decodeF16Group(MemorySegment codes, long n, long g, int cnt, MemorySegment dst, long remEnd) {
        long plane = loadLe(codes, g, cnt);
        long low = ElfCodes.unpack8(loadGroup(codes, n + (g >>> 3) * F16_REM, cnt, F16_REM, remEnd), F16_REM);
        for (int j = 0; j < cnt; j++) {
            int c = (int) (plane >>> (8 * j) & 0xff) << F16_REM | (int) (low >>> (8 * j)) & 7;
            dst.set(LE_SHORT, (g + j) << 1, (short) ElfCodes.f16Value(c));
        }
    }

    // F64: six byte planes (bits 52..45, ..., 12..5), then the low 5 bits packed, 8 codes to 5 bytes.

    static void encodeF64(MemorySegment src, long n, long start, MemorySegment codes, ExceptionSink sink) {
        final long remEnd = ElfType.F64.codeBytes(n);
        for (long from = start; from < n; from += CHUNK) {
            long to = Math.min(from + CHUNK, n);
            boolean exceptions = false;
            long g = from;
            for (; g + 8 <= to; g += 8) {
                exceptions |= encodeF64Group(src, n, g, 8, codes, remEnd);
            }
            if (g < to) {
                exceptions |= encodeF64Group(src, n, g, (int) (to - g), codes, remEnd);
            }
            if (exceptions) {
                recordExceptions(ElfType.F64, src, from, to, sink);
            }
        }
    }

    private static boolean encodeF64Group(
            MemorySegment src, long n, long g, int cnt, MemorySegment codes, long remEnd) {
        boolean exceptions = false;
        long low = 0;
        for (int j = 0; j < cnt; j++) {
            long i = g + j;
            long c = ElfCodes.f64Code(src.get(LE_LONG, i << 3));
            exceptions |= c < 0;
            c = c < 0 ? 0 : c;
            for (int p = 0; p < 6; p++) {
                codes.set(BYTE, p * n + i, (byte) (c >>> (45 - 8 * p)));
            }
            low |= (c & 0xff) << (8 * j);
        }
        storeGroup(codes, 6 * n + (g >>> 3) * F64_REM, ElfCodes.pack8(low, F64_REM), cnt, F64_REM, remEnd);
        return exceptions;
    }

    static void decodeF64(MemorySegment codes, long n, long start, MemorySegment dst) {
        final long remEnd = ElfType.F64.codeBytes(n);
        long g = start;
        for (; g + 8 <= n; g += 8) {
            decodeF64Group(codes, n, g, 8, dst, remEnd);
        }
        if (g < n) {
            decodeF64Group(codes, n, g, (int) (n - g), dst, remEnd);
        }
    }

    private static void decodeF64Group(MemorySegment codes, long n, long g, int cnt, MemorySegment dst, long remEnd) {
        long low = ElfCodes.unpack8(loadGroup(codes, 6 * n + (g >>> 3) * F64_REM, cnt, F64_REM, remEnd), F64_REM);
        for (int j = 0; j < cnt; j++) {
            long i = g + j;
            long c = low >>> (8 * j) & 31;
            for (int p = 0; p < 6; p++) {
                c |= (codes.get(BYTE, p * n + i) & 0xffL) << (45 - 8 * p);
            }
            dst.set(LE_LONG, i << 3, ElfCodes.f64Value(c));
        }
    }

    // Bit packing of one-byte codes, groups of 8.

    static void packRange(MemorySegment codes, long n, long start, int width, MemorySegment dst) {
        final long end = Kernel.packedBytes(n, width);
        long g = start;
        for (; g + 8 <= n; g += 8) {
            storeGroup(dst, (g >>> 3) * width, ElfCodes.pack8(codes.get(LE_LONG, g), width), 8, width, end);
        }
        if (g < n) {
            int cnt = (int) (n - g);
            storeGroup(dst, (g >>> 3) * width, ElfCodes.pack8(loadLe(codes, g, cnt), width), cnt, width, end);
        }
    }

    static void unpackRange(MemorySegment src, long n, long start, int width, MemorySegment codes) {
        final long end = Kernel.packedBytes(n, width);
        long g = start;
        for (; g + 8 <= n; g += 8) {
            codes.set(LE_LONG, g, ElfCodes.unpack8(loadGroup(src, (g >>> 3) * width, 8, width, end), width));
        }
        if (g < n) {
            int cnt = (int) (n - g);
            storeLe(codes, g, ElfCodes.unpack8(loadGroup(src, (g >>> 3) * width, cnt, width, end), width), cnt);
        }
    }

    /**
     * Stores the packed bits of the group of {@code cnt} codes at {@code offset}: its ceil(cnt * width / 8)
     * bytes. While 8 bytes fit before {@code end} (the end of the packed region) it stores a whole long:
     * the bytes past the group's own are then zeros in the place of groups that come later, which write
     * their own bytes afterwards (groups are always stored in increasing order). So the output is the same
     * and no byte at or past {@code end} is touched.
     */
    static void storeGroup(MemorySegment seg, long offset, long packed, int cnt, int width, long end) {
        if (offset + 8 <= end) {
            seg.set(LE_LONG, offset, packed);
        } else {
            storeLe(seg, offset, packed, (cnt * width + 7) >>> 3);
        }
    }

    /** Loads the packed bits of the group of {@code cnt} codes at {@code offset}; nothing at or past {@code end}. */
    static long loadGroup(MemorySegment seg, long offset, int cnt, int width, long end) {
        if (offset + 8 <= end) {
            return seg.get(LE_LONG, offset); // the bytes past the group's are ignored by unpack8
        }
        return loadLe(seg, offset, (cnt * width + 7) >>> 3);
    }

    /** The first {@code len} (0..8) bytes at {@code offset}, little-endian. */
    static long loadLe(MemorySegment seg, long offset, int len) {
        if (len == 8) {
            return seg.get(LE_LONG, offset);
        }
        long v = 0;
        for (int k = 0; k < len; k++) {
            v |= (seg.get(BYTE, offset + k) & 0xffL) << (8 * k);
        }
        return v;
    }

    /** Stores the low {@code len} (0..8) bytes of {@code v} at {@code offset}, little-endian. */
    static void storeLe(MemorySegment seg, long offset, long v, int len) {
        if (len == 8) {
            seg.set(LE_LONG, offset, v);
            return;
        }
        for (int k = 0; k < len; k++) {
            seg.set(BYTE, offset + k, (byte) (v >>> (8 * k)));
        }
    }

    /**
     * Where encode puts exceptions, in order: the count goes on past the capacity so that the caller
     * learns how much room it needs. Positions are posBase + index; bits are the original value's bits,
     * little-endian like the values.
     */
    static final class ExceptionSink {
        private final MemorySegment pos;
        private final MemorySegment bits;
        private final long cap;
        private final long base;
        private final int size;
        private long count;

        ExceptionSink(ElfType type, MemorySegment pos, MemorySegment bits, long cap, long base) {
            this.pos = pos;
            this.bits = bits;
            this.cap = cap;
            this.base = base;
            this.size = type.valueBytes();
        }

        /** Records the value at {@code index} of the block, whose bits are the low bytes of {@code value}. */
        void put(long index, long value) {
            if (count < cap) {
                pos.setAtIndex(POS, count, base + index);
                switch (size) {
                    case 2 -> bits.setAtIndex(LE_SHORT, count, (short) value);
                    case 4 -> bits.setAtIndex(LE_INT, count, (int) value);
                    default -> bits.setAtIndex(LE_LONG, count, value);
                }
            }
            count++;
        }

        long count() {
            return count;
        }
    }
}
