package dev.elfz;

import dev.elfz.kernel.ElfType;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** The element types of the safetensors spec, named as in the header, with their width in bits. */
public enum Dtype {
    BOOL(8),
    F4(4),
    F6_E2M3(6),
    F6_E3M2(6),
    U8(8),
    I8(8),
    F8_E5M2(8),
    F8_E4M3(8),
    F8_E8M0(8),
    F8_E4M3FNUZ(8),
    F8_E5M2FNUZ(8),
    I16(16),
    U16(16),
    F16(16),
    BF16(16),
    I32(32),
    U32(32),
    F32(32),
    C64(64),
    F64(64),
    I64(64),
    U64(64);

    private static final Map<String, Dtype> BY_NAME = new HashMap<>();

    static {
        for (Dtype d : values()) {
            BY_NAME.put(d.name(), d);
        }
    }

    private final int bits;

    Dtype(int bits) {
        this.bits = bits;
    }

    /** Bits per element (4 and 6 for the sub-byte float types). */
    public int bits() {
        return bits;
    }

    /** The kernel's type for the floats ELF handles (F32, F16, BF16, F64), else null. */
    public ElfType elfType() {
        return switch (this) {
            case F32 -> ElfType.F32;
            case F16 -> ElfType.F16;
            case BF16 -> ElfType.BF16;
            case F64 -> ElfType.F64;
            default -> null;
        };
    }

    /** The dtype spelled exactly so in a header, or null (names are case-sensitive, as in the reference). */
    public static Dtype forName(String name) {
        return BY_NAME.get(name);
    }

    /**
     * Elements of a tensor of this shape (1 for shape []), checked as the reference does: no negative
     * dimension, and the product, taken left to right, must not overflow.
     *
     * @throws IllegalArgumentException saying which of the two is wrong
     */
    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(
                        "element count of shape " + Arrays.toString(shape) + " overflows 64 bits");
            }
        }
        return n;
    }

    /**
     * Bytes of a tensor of this type and shape.
     *
     * @throws IllegalArgumentException for a bad shape, or when the bits do not make whole bytes (F4, F6_*)
     */
    public long byteSize(long[] shape) {
        long n = elements(shape);
        if (n > Long.MAX_VALUE / bits) {
            throw new IllegalArgumentException(this + " " + Arrays.toString(shape) + " has more than 2^63 bits");
        }
        long totalBits = n * bits;
        if (totalBits % 8 != 0) {
            throw new IllegalArgumentException(
                    this + " " + Arrays.toString(shape) + " is " + totalBits + " bits, not a whole number of bytes");
        }
        return totalBits / 8;
    }
}
