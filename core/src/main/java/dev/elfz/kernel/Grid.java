package dev.elfz.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The reference loops of {@link Kernel#gridEncode} and {@link Kernel#gridDecode}: one value at a time, in float64,
 * exactly as FORMAT.md ("grid chunks") states them. The native kernels must give the same bytes.
 */
final class Grid {

    private Grid() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** |q| above this is an exception: zigzag(q) must fit a u32. */
    static final double MAX_Q = Integer.MAX_VALUE;

    static long encode(
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
        boolean f32 = type == ElfType.F32;
        long e = 0;
        for (long i = 0; i < n; i++) {
            double x = f32 ? src.getAtIndex(F32, i) : src.getAtIndex(F64, i);
            double q = Math.rint(x / step);
            int code = 0;
            if (Math.abs(q) <= MAX_Q && Math.abs(value(f32, q, step) - x) <= bound) { // false for NaN and infinities
                int k = (int) q;
                code = (k << 1) ^ (k >> 31);
            } else {
                if (e < excCap) {
                    excPos.setAtIndex(U64, e, posBase + i);
                    if (f32) {
                        excBits.setAtIndex(U32, e, src.getAtIndex(U32, i));
                    } else {
                        excBits.setAtIndex(U64, e, src.getAtIndex(U64, i));
                    }
                }
                e++;
            }
            for (int b = 0; b < 4; b++) {
                codes.set(ValueLayout.JAVA_BYTE, b * n + i, (byte) (code >>> (8 * b)));
            }
        }
        return e;
    }

    static void decode(
            ElfType type,
            MemorySegment codes,
            long n,
            double step,
            MemorySegment dst,
            MemorySegment excPos,
            MemorySegment excBits,
            long nExc,
            long posBase) {
        boolean f32 = type == ElfType.F32;
        for (long i = 0; i < n; i++) {
            int code = 0;
            for (int b = 0; b < 4; b++) {
                code |= (codes.get(ValueLayout.JAVA_BYTE, b * n + i) & 0xff) << (8 * b);
            }
            double q = (code >>> 1) ^ -(code & 1);
            if (f32) {
                dst.setAtIndex(F32, i, (float) (q * step));
            } else {
                dst.setAtIndex(F64, i, q * step);
            }
        }
        for (long k = 0; k < nExc; k++) {
            long i = excPos.getAtIndex(U64, k) - posBase;
            if (f32) {
                dst.setAtIndex(U32, i, excBits.getAtIndex(U32, k));
            } else {
                dst.setAtIndex(U64, i, excBits.getAtIndex(U64, k));
            }
        }
    }

    /** The decoded value of grid point q, as float64 (exact for the F32 result). */
    private static double value(boolean f32, double q, double step) {
        return f32 ? (float) (q * step) : q * step;
    }
}
