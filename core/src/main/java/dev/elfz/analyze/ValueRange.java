package dev.elfz.analyze;

import dev.elfz.codec.FloatValues;
import dev.elfz.kernel.ElfType;
import java.lang.foreign.MemorySegment;

/**
 * A tensor's smallest and largest value as float32 (F64 rounded), and whether every value is finite: what uniform
 * quantization needs of a tensor before coding it (its scale; a tensor with NaN or Inf is not quantized).
 */
public record ValueRange(float lo, float hi, boolean finite) {

    /** One pass over the values. */
    public static ValueRange of(ElfType type, MemorySegment data) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (long i = 0, n = data.byteSize() / type.valueBytes(); i < n; i++) {
            float x = (float) FloatValues.get(type, data, i);
            lo = Math.min(lo, x); // NaN sticks, and Inf reaches an end: both show in finite()
            hi = Math.max(hi, x);
        }
        return new ValueRange(lo, hi, Float.isFinite(lo) && Float.isFinite(hi));
    }
}
