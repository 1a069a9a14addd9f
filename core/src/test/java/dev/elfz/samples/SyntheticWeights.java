package dev.elfz.samples;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Generated float32 tensors shaped like real weights: Gaussian, with one value in 10,000 an outlier 40x larger. */
public final class SyntheticWeights {

    private SyntheticWeights() {}

    /** n float32 values drawn from N(mean, sigma), outliers included, 64-byte aligned. */
    public static MemorySegment gaussian(Arena arena, SplittableRandom r, long n, double mean, double sigma) {
        MemorySegment s = arena.allocate(n * 4, 64);
        for (long i = 0; i < n; i++) {
            double g = Math.sqrt(-2 * Math.log(r.nextDouble() + 1e-300)) * Math.cos(2 * Math.PI * r.nextDouble());
            double scale = r.nextInt(10_000) == 0 ? 40 : 1;
            s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (mean + g * sigma * scale));
        }
        return s;
    }
}
