package dev.elfz.kernel;

/**
 * The float types ELF handles. The ordinal order matches the C kernel's ELFZ_F32.. constants.
 * A value with |x| < 1 becomes the code {@code sign << mantissaBits | round_half_even(|x| * 2^mantissaBits)}.
 */
public enum ElfType {
    F32(4, 23),
    F16(2, 10),
    BF16(2, 7),
    F64(8, 52);

    private final int valueBytes;
    private final int mantissaBits;

    ElfType(int valueBytes, int mantissaBits) {
        this.valueBytes = valueBytes;
        this.mantissaBits = mantissaBits;
    }

    /** Bytes per value. */
    public int valueBytes() {
        return valueBytes;
    }

    /** Mantissa bits kept: the decoded value is within 2^-(mantissaBits+1) of the original. */
    public int mantissaBits() {
        return mantissaBits;
    }

    /** Bits per code: the sign plus the mantissa (24, 11, 8, 53). */
    public int codeBits() {
        return mantissaBits + 1;
    }

    /** The maximum absolute error of a value that is not an exception: half an ulp of [1, 2). */
    public double errorBound() {
        return Math.scalb(1.0, -(mantissaBits + 1));
    }

    /** Bytes of the planar code stream for n values: codeBits/8 byte planes, then the rest bit-packed. */
    public long codeBytes(long n) {
        int w = codeBits();
        return (w / 8) * n + Kernel.packedBytes(n, w % 8);
    }

    /** float32 to bfloat16 bits, round half to even, as every kernel rounds; a NaN keeps its top bits and becomes quiet. */
    public static short toBf16(float x) {
        int b = Float.floatToRawIntBits(x);
        if ((b & 0x7fffffff) > 0x7f800000) {
            return (short) ((b >>> 16) | 0x40);
        }
        return (short) ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16);
    }

    /** The C kernel's dtype constant. */
    public int nativeId() {
        return ordinal();
    }
}
