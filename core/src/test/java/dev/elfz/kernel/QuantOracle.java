package dev.elfz.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Uniform and non-uniform quantization written from elfz.h's formulas, as the C tests' oracle is (ref_round,
 * ref_quantize, ref_dequantize and the bucketize count of native/test/elfz_test.c, line for line): what every kernel,
 * the Java reference QuantScalar included, must write byte for byte. Values are dtype bits as {@link TestData} reads them.
 */
final class QuantOracle {

    private QuantOracle() {}

    /** Stored mantissa bits of the dtype. */
    private static int mant(ElfType t) {
        return switch (t) {
            case F32 -> 23;
            case F16 -> 10;
            case BF16 -> 7;
            case F64 -> 52;
        };
    }

    /** A float32 rounded half to even to the dtype's bits, with getExponent and rint in double; NaN as elfz.h says. */
    static long round(ElfType t, float v) {
        int b = Float.floatToRawIntBits(v);
        if (t == ElfType.F32) {
            return Integer.toUnsignedLong(b);
        }
        if (t == ElfType.F64) {
            return Double.doubleToRawLongBits(v);
        }
        int m = mant(t);
        int emax = t == ElfType.F16 ? 15 : 127;
        int emin = 1 - emax;
        long sign = (long) (b >>> 31) << 15;
        long inf = (long) (2 * emax + 1) << m;
        if (Float.isNaN(v)) { // F16 keeps the top payload bits and sets the quiet bit; BF16 truncates, quiet bit set
            return t == ElfType.F16 ? sign | 0x7e00 | (b >>> 13 & 0x3ff) : (b >>> 16) | 0x40;
        }
        double a = Math.abs((double) v);
        if (Double.isInfinite(a)) {
            return sign | inf;
        }
        if (a < Math.scalb(1.0, emin)) { // subnormal (or rounding up to the least normal)
            return sign | (long) Math.rint(Math.scalb(a, m - emin));
        }
        int e = Math.getExponent(a); // a in [2^e, 2^(e+1))
        double q = Math.rint(Math.scalb(a, m - e));
        if (q == Math.scalb(1.0, m + 1)) {
            q /= 2;
            e++;
        }
        if (e > emax) {
            return sign | inf;
        }
        return sign | (long) (e + emax) << m | ((long) q - (1L << m));
    }

    /** {@code clamp(rint(x / scale) + zero, qmin, qmax) - qmin} in float32 (float64 for F64), NaN giving 0. */
    static int quantize(ElfType t, long bits, float scale, int zero, int nbits) {
        int qmin = -(1 << (nbits - 1));
        int qmax = (1 << (nbits - 1)) - 1;
        int q;
        if (t == ElfType.F64) {
            double r = Math.rint(TestData.value(t, bits) / scale);
            double lo = (double) qmin - zero;
            double hi = (double) qmax - zero;
            q = Double.isNaN(r) ? qmin : (int) (r < lo ? lo : r > hi ? hi : r) + zero;
        } else {
            float r = (float) Math.rint((float) TestData.value(t, bits) / scale);
            float lo = qmin - zero;
            float hi = qmax - zero;
            q = Float.isNaN(r) ? qmin : (int) (r < lo ? lo : r > hi ? hi : r) + zero;
        }
        return q - qmin;
    }

    /** {@code (c + qmin - zero) * scale} in float32 (float64 for F64), rounded to the dtype; c the code's low bits. */
    static long dequantize(ElfType t, int code, float scale, int zero, int nbits) {
        int level = (code & ((1 << nbits) - 1)) - (1 << (nbits - 1)) - zero;
        return t == ElfType.F64 ? Double.doubleToRawLongBits(level * (double) scale) : round(t, level * scale);
    }

    /** The number of bounds strictly below x, compared in double (exact: a float32 is a double); NaN below nothing. */
    static int bucketize(ElfType t, long bits, float[] bounds) {
        double x = TestData.value(t, bits);
        int c = 0;
        for (float b : bounds) {
            c += (double) b < x ? 1 : 0;
        }
        return c;
    }

    /** The codes every kernel must write for a block, value i in group (groupOffset + i) / groupSize. */
    static byte[] quantize(
            ElfType t,
            MemorySegment src,
            long n,
            long groupSize,
            long groupOffset,
            MemorySegment scales,
            MemorySegment zeros,
            int nbits) {
        byte[] codes = new byte[(int) n];
        for (int i = 0; i < n; i++) {
            long g = (groupOffset + i) / groupSize;
            codes[i] = (byte) quantize(
                    t,
                    TestData.bits(t, src, i),
                    scales.getAtIndex(QuantScalar.F32, g),
                    zeros.get(ValueLayout.JAVA_BYTE, g),
                    nbits);
        }
        return codes;
    }
}
