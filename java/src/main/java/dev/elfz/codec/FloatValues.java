package dev.elfz.codec;

import dev.elfz.kernel.ElfType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Reads and writes the values of float tensors of every float dtype as doubles (exactly, NaN included). */
public final class FloatValues {

    private FloatValues() {}

    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Value {@code i} of {@code s}. */
    public static double get(ElfType type, MemorySegment s, long i) {
        return switch (type) {
            case F32 -> s.getAtIndex(F32, i);
            case F64 -> s.getAtIndex(F64, i);
            case F16 -> Float.float16ToFloat(s.getAtIndex(U16, i));
            case BF16 -> Float.intBitsToFloat(s.getAtIndex(U16, i) << 16);
        };
    }

    /** |value {@code i}| as float32 (F64 rounded): what magnitude pruning compares. */
    public static float magnitude(ElfType type, MemorySegment s, long i) {
        return Math.abs((float) get(type, s, i));
    }
}
