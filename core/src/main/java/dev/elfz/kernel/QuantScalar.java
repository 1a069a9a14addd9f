package dev.elfz.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The reference loops of uniform and non-uniform quantization (Kernel#quantize, #dequantize, #bucketize,
 * #lookup): plain Java, one value at a time, exactly as FORMAT.md states them. The native kernels and the
 * Java Vector kernel must give the same bytes. {@link #code} and {@link #decoded} are one value of them, for the
 * writer's check that a group's extremes decode within the codec's promise.
 */
public final class QuantScalar {

    private QuantScalar() {}

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Value i of a float tensor as float32 (F16 and BF16 exactly; F64 is read by {@link #f64}). */
    static float f32(ElfType type, MemorySegment src, long i) {
        return switch (type) {
            case F32 -> src.getAtIndex(F32, i);
            case F16 -> Float.float16ToFloat(src.getAtIndex(U16, i));
            case BF16 -> Float.intBitsToFloat(src.getAtIndex(U16, i) << 16);
            case F64 -> throw new IllegalArgumentException("F64 is computed in double");
        };
    }

    /** Stores a float32 result rounded to the type, half to even (NaN stays a quiet NaN). */
    static void store(ElfType type, MemorySegment dst, long i, float x) {
        switch (type) {
            case F32 -> dst.setAtIndex(F32, i, x);
            case F16 -> dst.setAtIndex(U16, i, Float.floatToFloat16(x));
            case BF16 -> dst.setAtIndex(U16, i, ElfType.toBf16(x));
            case F64 -> throw new IllegalArgumentException("F64 is computed in double");
        }
    }

    /** The code of {@code x} (a value of the type, exactly) in a group of this scale and zero point. */
    public static int code(ElfType type, double x, float scale, int zero, int bits) {
        int qmin = -(1 << (bits - 1));
        int qmax = (1 << (bits - 1)) - 1;
        int q;
        if (type == ElfType.F64) {
            double r = Math.rint(x / scale);
            q = Double.isNaN(r) ? qmin : (int) Math.min(Math.max(r, (double) qmin - zero), (double) qmax - zero) + zero;
        } else {
            float r = (float) Math.rint((float) x / scale);
            q = Float.isNaN(r)
                    ? qmin
                    : (int) Math.min(Math.max(r, (float) (qmin - zero)), (float) (qmax - zero)) + zero;
        }
        return q - qmin;
    }

    /** The value code {@code c} decodes to, rounded to the type, as a double. */
    public static double decoded(ElfType type, int c, float scale, int zero, int bits) {
        int level = c + -(1 << (bits - 1)) - zero;
        return switch (type) {
            case F64 -> level * (double) scale;
            case F32 -> level * scale;
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(level * scale));
            case BF16 -> Float.intBitsToFloat(ElfType.toBf16(level * scale) << 16);
        };
    }

    static void quantize(
            ElfType type,
            MemorySegment src,
            long n,
            long groupSize,
            long groupOffset,
            MemorySegment scales,
            MemorySegment zeros,
            int bits,
            MemorySegment codes) {
        for (long i = 0; i < n; i++) {
            long g = (groupOffset + i) / groupSize;
            double x = type == ElfType.F64 ? src.getAtIndex(F64, i) : f32(type, src, i);
            int c = code(type, x, scales.getAtIndex(F32, g), zeros.get(ValueLayout.JAVA_BYTE, g), bits);
            codes.set(ValueLayout.JAVA_BYTE, i, (byte) c);
        }
    }

    static void dequantize(
            ElfType type,
            MemorySegment codes,
            long n,
            long groupSize,
            long groupOffset,
            MemorySegment scales,
            MemorySegment zeros,
            int bits,
            MemorySegment dst) {
        int qmin = -(1 << (bits - 1));
        int mask = (1 << bits) - 1;
        for (long i = 0; i < n; i++) {
            long g = (groupOffset + i) / groupSize;
            float scale = scales.getAtIndex(F32, g);
            int zero = zeros.get(ValueLayout.JAVA_BYTE, g);
            int level = (codes.get(ValueLayout.JAVA_BYTE, i) & mask) + qmin - zero;
            if (type == ElfType.F64) {
                dst.setAtIndex(F64, i, level * (double) scale);
            } else {
                store(type, dst, i, level * scale);
            }
        }
    }

    static void bucketize(
            ElfType type, MemorySegment src, long n, MemorySegment bounds, int nBounds, MemorySegment codes) {
        for (long i = 0; i < n; i++) {
            int c = 0;
            if (type == ElfType.F64) {
                double x = src.getAtIndex(F64, i);
                for (int j = 0; j < nBounds; j++) {
                    c += bounds.getAtIndex(F32, j) < x ? 1 : 0;
                }
            } else {
                float x = f32(type, src, i);
                for (int j = 0; j < nBounds; j++) {
                    c += bounds.getAtIndex(F32, j) < x ? 1 : 0;
                }
            }
            codes.set(ValueLayout.JAVA_BYTE, i, (byte) c);
        }
    }

    static void lookup(ElfType type, MemorySegment codes, long n, MemorySegment table, int bits, MemorySegment dst) {
        int mask = (1 << bits) - 1;
        for (long i = 0; i < n; i++) {
            float v = table.getAtIndex(F32, codes.get(ValueLayout.JAVA_BYTE, i) & mask);
            if (type == ElfType.F64) {
                dst.setAtIndex(F64, i, v);
            } else {
                store(type, dst, i, v);
            }
        }
    }
}
