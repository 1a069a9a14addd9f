package dev.elfz.kernel;

/**
 * The arithmetic of ELF, one value at a time, with the results of the C reference
 * (native/src/elfz_scalar.c) bit for bit: value bits to code, code to value bits, and the bit packing of
 * eight narrow codes. Both Java kernels and the tests use these; nothing here touches memory.
 *
 * <p>Encoders return {@link #EXCEPTION} for a value that must be kept as an exception (|x| >= 1, NaN,
 * +-Inf, or a value whose rounded mantissa reaches 2). Codes are never negative, so the sign tells.
 */
final class ElfCodes {

    /** What an encoder returns for a value that is an exception. */
    static final int EXCEPTION = -1;

    private ElfCodes() {}

    // ---- F32: the FPU rounds 1 + |x| (round to nearest even), exactly as C's float addition does.

    /** F32 bits to a 24-bit code, or {@link #EXCEPTION}. */
    static int f32Code(int bits) {
        float y = 1.0f + Float.intBitsToFloat(bits & 0x7fffffff);
        if (!(y < 2.0f)) { // |x| >= 1, rounds up to 2, NaN, Inf
            return EXCEPTION;
        }
        return (bits >>> 31) << 23 | (Float.floatToRawIntBits(y) & 0x7fffff);
    }

    /** 24-bit code to F32 bits; (1 + m) - 1 is exact. Bits above the code width are ignored. */
    static int f32Value(int code) {
        float a = Float.intBitsToFloat(0x3f800000 | (code & 0x7fffff)) - 1.0f;
        return Float.floatToRawIntBits(a) | (code >>> 23 & 1) << 31;
    }

    // ---- F64: the same in double precision.

    /** F64 bits to a 53-bit code, or {@link #EXCEPTION}. */
    static long f64Code(long bits) {
        double y = 1.0 + Double.longBitsToDouble(bits & 0x7fffffffffffffffL);
        if (!(y < 2.0)) {
            return EXCEPTION;
        }
        return (bits >>> 63) << 52 | (Double.doubleToRawLongBits(y) & 0xfffffffffffffL);
    }

    /** 53-bit code to F64 bits. */
    static long f64Value(long code) {
        double a = Double.longBitsToDouble(0x3ff0000000000000L | (code & 0xfffffffffffffL)) - 1.0;
        return Double.doubleToRawLongBits(a) | (code >>> 52 & 1) << 63;
    }

    // ---- F16 and BF16. C rounds the integer significand (rne_shift) and normalises by hand; this does the
    // ---- same in float, exactly, without a branch on the data (and so do the vector lanes):
    // ----   encode: |x| < 1 as a float is exact; y = 2^k + |x|, with 2^k the number whose float ulp is
    // ----   the code's unit (2^13: ulp 2^-10; 2^16: ulp 2^-7), is one IEEE addition, i.e. 2^k plus
    // ----   round_half_even(|x| * 2^m) units: that integer q is y's bits minus 2^k's, and q reaching 2^m
    // ----   (y >= 2^k + 1) is the exception, as in C; so are NaN and Inf, which fail y < 2^k + 1.
    // ----   decode: (float) q is exact (q < 2^10) and so is its scaling by a power of two into the
    // ----   normal range of the half type's exponent, whose bits are then the top bits of the float's.
    // ---- JavaKernelTwinTest checks both directions, for every 16-bit input and every code, against an
    // ---- oracle from first principles (rint in double); the C reference gives the same bytes.

    /** F16 bits (the low 16 bits of the argument) to an 11-bit code, or {@link #EXCEPTION}. */
    static int f16Code(int bits) {
        // |x| as a float: the f16 exponent rebased by 127 - 15. A subnormal f16 becomes some number
        // in [2^-15, 2^-14) instead of its own value, below half a unit (2^-11) either way: q = 0 as in C.
        // F16 Inf/NaN (exponent 31) become 2^16 or more: an exception, as in C.
        float y = Float.intBitsToFloat(((bits & 0x7fff) << 13) + (112 << 23)) + 0x1p13f;
        if (!(y < 0x1p13f + 1)) {
            return EXCEPTION;
        }
        return (bits >>> 15 & 1) << 10 | (Float.floatToRawIntBits(y) - F16_BASE);
    }

    /** 11-bit code to F16 bits: q * 2^-10, a normal number or zero. */
    static int f16Value(int code) {
        // q * 2^-10 * 2^-112: exact, a normal float (>= 2^-122) or 0, whose exponent is biased as f16's.
        int magnitude = Float.floatToRawIntBits((code & 1023) * 0x1p-122f) >>> 13;
        return magnitude | (code >>> 10 & 1) << 15;
    }

    /** BF16 bits (the low 16 bits of the argument) to an 8-bit code, or {@link #EXCEPTION}. */
    static int bf16Code(int bits) {
        float y = Float.intBitsToFloat((bits & 0x7fff) << 16) + 0x1p16f; // bf16 is the top of a float
        if (!(y < 0x1p16f + 1)) { // |x| >= 1, rounds up to 1, NaN, Inf
            return EXCEPTION;
        }
        return (bits >>> 15 & 1) << 7 | (Float.floatToRawIntBits(y) - BF16_BASE);
    }

    /** 8-bit code to BF16 bits: q * 2^-7, a normal number or zero. */
    static int bf16Value(int code) {
        int magnitude = Float.floatToRawIntBits((code & 127) * 0x1p-7f) >>> 16;
        return magnitude | (code >>> 7 & 1) << 15;
    }

    /** Bits of 2^13 and 2^16, the floats F16 and BF16 magnitudes are rounded against. */
    static final int F16_BASE = Float.floatToRawIntBits(0x1p13f);

    static final int BF16_BASE = Float.floatToRawIntBits(0x1p16f);

    // ---- Bit packing of eight codes of 1..8 bits: the one routine behind packBits, unpackBits and the
    // ---- remainder planes of F16 (3 bits) and F64 (5 bits).

    /** Per width, the low {@code width} bits of every byte of a long. */
    private static final long[] LANE_BITS = new long[9];

    static {
        for (int w = 1; w <= 8; w++) {
            LANE_BITS[w] = 0x0101010101010101L * ((1 << w) - 1);
        }
    }

    /**
     * Packs eight codes, code j in byte j of {@code eight} (little-endian order; bits above {@code width}
     * ignored), into {@code width} bytes: code j lands in bits [j * width, (j + 1) * width). Equals the C
     * elfz_pack8. Long.compress is one PEXT instruction where the CPU has BMI2.
     */
    static long pack8(long eight, int width) {
        return Long.compress(eight, LANE_BITS[width]);
    }

    /** The inverse of {@link #pack8}: code j of {@code width} bits goes to byte j of the result. */
    static long unpack8(long packed, int width) {
        return Long.expand(packed, LANE_BITS[width]);
    }
}
