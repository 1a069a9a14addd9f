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

    /**
     * One unit in the last place of {@code v} in the type's precision; for F64 float32's precision (at any magnitude),
     * as quantization computes F64's values with float32 scales and codebooks.
     */
    public static double ulp(ElfType type, double v) {
        return switch (type) {
            case F64 -> Math.max(Math.scalb(Math.ulp(v), 29), 0x1p-149);
            case F16 -> Math.max(Math.scalb((double) Math.ulp((float) v), 13), 0x1p-24); // subnormals: 2^-24 apart
            case BF16 -> Math.max(Math.scalb((double) Math.ulp((float) v), 16), 0x1p-133);
            case F32 -> Math.ulp((float) v);
        };
    }

    /**
     * What is wrong with {@code y}, decoded as stored in the type, as a value promised within {@code bound} of the
     * original {@code x} plus one ulp of the type for the float rounding; null when nothing. NaN must stay NaN, an infinity
     * itself, and a finite value finite.
     */
    public static String outside(ElfType type, double x, double y, double bound) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            return Double.compare(x, y) == 0 ? null : "should be exact (NaN or Inf)";
        }
        if (!Double.isFinite(y)) {
            return "a finite value decoded as " + y;
        }
        double error = Math.abs(x - y);
        double allowed = bound + ulp(type, Math.max(Math.abs(x), Math.abs(y)));
        return error <= allowed ? null : "error " + error + " > bound " + allowed;
    }
}
