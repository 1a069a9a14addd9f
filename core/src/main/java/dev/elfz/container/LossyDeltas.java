package dev.elfz.container;

import dev.elfz.Codec;
import dev.elfz.CodecChoice;
import dev.elfz.Dtype;
import dev.elfz.ElfzOptions;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.FloatValues;
import dev.elfz.codec.ValueCheck;
import dev.elfz.codec.ValueCodec;
import dev.elfz.codec.registry.Codecs;
import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.ElfType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Lossy deltas (format 2.7, delta op {@code sub}): a fine-tune's tensor coded by ELF or the grid codec as its
 * arithmetic difference with the base tensor, {@code d = ft - base}, and decoded as {@code base + d'} rounded to the
 * dtype. Each value is checked after that rounding as {@code elfz verify} checks it (the codec's own {@link
 * ValueCheck}); a value that misses the codec's bound, or that must stay exact (NaN, ±Inf, -0.0), is kept exactly in
 * the chunk's exception list behind the codec's bytes:
 *
 * <pre>codec bytes | u32 index * n | value * n | u32 n</pre>
 *
 * Sums and differences are computed in binary64 and rounded to binary32, then to the dtype when it is F16 or BF16
 * ({@link #round}); F64 stays binary64. The rounding is the same in the writer and every reader, so the writer's check
 * is the reader's result.
 */
final class LossyDeltas {

    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private LossyDeltas() {}

    /**
     * Whether the options ask for a lossy codec by name ({@code --codec elf}) or bound ({@code --error-bound}); under
     * {@code auto} deltas stay exact (XOR), as before 2.7.
     */
    static boolean asked(ElfzOptions o) {
        return o.codec() == CodecChoice.ELF || !Double.isNaN(o.errorBound());
    }

    /** Whether a tensor coded alone by {@code codec} may be coded as its difference with a base tensor instead. */
    static boolean codes(Codec codec) {
        return codec == Codec.ELF || codec == Codec.GRID;
    }

    /** {@code out[i] = ft[i] - base[i]}, rounded to the type (out may be ft). */
    static void subtract(ElfType type, MemorySegment ft, MemorySegment base, MemorySegment out) {
        long n = ft.byteSize() / type.valueBytes();
        for (long i = 0; i < n; i++) {
            set(type, out, i, FloatValues.get(type, ft, i) - FloatValues.get(type, base, i));
        }
    }

    /** {@code out[i] = base[i] + d[i]}, rounded to the type (out may be d). */
    static void add(ElfType type, MemorySegment d, MemorySegment base, MemorySegment out) {
        long n = d.byteSize() / type.valueBytes();
        for (long i = 0; i < n; i++) {
            set(type, out, i, FloatValues.get(type, base, i) + FloatValues.get(type, d, i));
        }
    }

    /** Stores {@code v} (binary64) as value {@code i}: to binary32, then to the dtype (F64: as it is). */
    private static void set(ElfType type, MemorySegment s, long i, double v) {
        switch (type) {
            case F64 -> s.setAtIndex(FloatValues.F64, i, v);
            case F32 -> s.setAtIndex(FloatValues.F32, i, (float) v);
            case F16 -> s.setAtIndex(FloatValues.U16, i, Float.floatToFloat16((float) v));
            case BF16 -> s.setAtIndex(FloatValues.U16, i, ElfType.toBf16((float) v));
        }
    }

    /**
     * Appends to {@code dst} (holding the codec's {@code coded} bytes of the delta) the exceptions of a chunk: the
     * values of {@code ft} that {@code decoded} (the chunk as a reader gets it before its exceptions) does not keep
     * within the codec's promise, or changes when they must stay exact.
     *
     * @return the chunk's length, or -1 when it would not be smaller than the chunk's own bytes
     */
    static long appendExceptions(
            Codec codec,
            CodecParams params,
            Dtype dtype,
            MemorySegment ft,
            MemorySegment decoded,
            long coded,
            MemorySegment dst) {
        ElfType type = dtype.elfType();
        int w = type.valueBytes();
        long n = ft.byteSize() / w;
        ValueCodec c = Codecs.of(codec);
        ValueCheck check = c.check(params, dtype);
        double bound = c.errorBound(dtype, params);
        long limit = Math.min(ft.byteSize(), dst.byteSize());
        long count = 0;
        long at = coded;
        for (long i = 0; i < n; i++) {
            if (!exceptional(type, check, bound, ft, decoded, i)) {
                continue;
            }
            if (at + 4 + w * (count + 1) + 4 >= limit) {
                return -1;
            }
            dst.set(U32, at, (int) i);
            at += 4;
            count++;
        }
        if (at + w * count + 4 >= limit) {
            return -1;
        }
        long indices = coded;
        for (long k = 0; k < count; k++) {
            long i = Integer.toUnsignedLong(dst.get(U32, indices + 4 * k));
            MemorySegment.copy(ft, i * w, dst, at, w);
            at += w;
        }
        dst.set(U32, at, (int) count);
        return at + 4;
    }

    /** Whether value {@code i} must be kept exactly: its bits changed where they must not, or it misses the bound. */
    private static boolean exceptional(
            ElfType type, ValueCheck check, double bound, MemorySegment ft, MemorySegment decoded, long i) {
        if (sameBits(type, ft, decoded, i)) {
            return false;
        }
        double x = FloatValues.get(type, ft, i);
        double y = FloatValues.get(type, decoded, i);
        boolean exact = !Double.isFinite(x) || !Double.isFinite(y) || (x == 0 && 1 / x < 0);
        return exact || check.outside(x, y, bound) != null;
    }

    private static boolean sameBits(ElfType type, MemorySegment a, MemorySegment b, long i) {
        int w = type.valueBytes();
        return switch (w) {
            case 8 ->
                a.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i) == b.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
            case 4 ->
                a.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i) == b.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
            default -> a.getAtIndex(FloatValues.U16, i) == b.getAtIndex(FloatValues.U16, i);
        };
    }

    /**
     * The codec's bytes of a stored chunk of {@code n} values of {@code w} bytes: all but its exception list.
     *
     * @throws CorruptDataException when the list does not fit the chunk
     */
    static MemorySegment codecBytes(MemorySegment stored, long n, int w) {
        long count = exceptionCount(stored, n, w);
        return stored.asSlice(0, stored.byteSize() - 4 - count * (4 + w));
    }

    private static long exceptionCount(MemorySegment stored, long n, int w) {
        if (stored.byteSize() < 4) {
            throw new CorruptDataException("a delta chunk of " + stored.byteSize() + " bytes has no exception count");
        }
        long count = Integer.toUnsignedLong(stored.get(U32, stored.byteSize() - 4));
        if (count > n || count * (4 + w) + 4 > stored.byteSize()) {
            throw new CorruptDataException("a delta chunk's " + count + " exceptions do not fit it");
        }
        return count;
    }

    /**
     * Writes a chunk's exceptions over {@code dst} (its decoded values, base added).
     *
     * @throws CorruptDataException when an index lies outside the chunk
     */
    static void patch(ElfType type, MemorySegment stored, MemorySegment dst) {
        int w = type.valueBytes();
        long n = dst.byteSize() / w;
        long count = exceptionCount(stored, n, w);
        long indices = stored.byteSize() - 4 - count * (4 + w);
        long values = indices + 4 * count;
        for (long k = 0; k < count; k++) {
            long i = Integer.toUnsignedLong(stored.get(U32, indices + 4 * k));
            if (i >= n) {
                throw new CorruptDataException("a delta chunk's exception at " + i + " lies past its " + n + " values");
            }
            MemorySegment.copy(stored, values + k * w, dst, i * w, w);
        }
    }
}
