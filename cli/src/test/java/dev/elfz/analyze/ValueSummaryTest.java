package dev.elfz.analyze;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.elfz.codec.FloatValues;
import dev.elfz.kernel.ElfType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The statistics against a plain loop over the same values, for every float dtype, odd and even lengths. */
class ValueSummaryTest {

    /** Values with the awkward ones mixed in: bin edges, the histogram's ends, ±1, NaN, ±Inf, -0, subnormals. */
    private static double pick(SplittableRandom r) {
        double[] special = {
            -2,
            2,
            -1,
            1,
            -0.0,
            0,
            1.98,
            -1.98,
            0.02,
            1.99999,
            -2.0000001,
            Double.NaN,
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            1e-40,
            65504,
            3e38
        };
        return r.nextInt(4) == 0 ? special[r.nextInt(special.length)] : r.nextGaussian() * (r.nextBoolean() ? 0.1 : 3);
    }

    private static void put(ElfType type, MemorySegment s, long i, double v) {
        switch (type) {
            case F32 -> s.setAtIndex(FloatValues.F32, i, (float) v);
            case F64 -> s.setAtIndex(FloatValues.F64, i, v);
            case F16 -> s.setAtIndex(FloatValues.U16, i, Float.floatToFloat16((float) v));
            case BF16 -> s.setAtIndex(FloatValues.U16, i, (short) (Float.floatToRawIntBits((float) v) >>> 16));
        }
    }

    @Test
    void twoStreamsAgreeWithAPlainLoop() {
        SplittableRandom r = new SplittableRandom(5);
        ValueSummary.Scratch scratch = new ValueSummary.Scratch();
        try (Arena arena = Arena.ofConfined()) {
            for (ElfType type : ElfType.values()) {
                for (int n : new int[] {0, 1, 3, 7, 8, 9, 15, 17, 31, 33, 100, ValueSummary.BLOCK + 5}) {
                    MemorySegment s =
                            arena.allocate((long) n * type.valueBytes() + 1).asSlice(1, (long) n * type.valueBytes());
                    for (int i = 0; i < n; i++) {
                        put(type, s, i, pick(r));
                    }
                    ValueSummary got = new ValueSummary();
                    got.add(type, s, scratch);
                    check(type, s, n, got);
                }
            }
        }
    }

    private static void check(ElfType type, MemorySegment s, int n, ValueSummary got) {
        long unit = 0, nan = 0, inf = 0, finite = 0;
        long[] counts = new long[ValueSummary.BINS];
        long below = 0, above = 0;
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < n; i++) {
            double v = FloatValues.get(type, s, i);
            unit += v > -1 && v < 1 ? 1 : 0;
            if (Double.isNaN(v)) {
                nan++;
            } else if (Double.isInfinite(v)) {
                inf++;
            } else {
                finite++;
                sum += v;
                min = Math.min(min, v);
                max = Math.max(max, v);
                if (v < -2) {
                    below++;
                } else if (v >= 2) {
                    above++;
                } else {
                    counts[(int) Math.min(199, (v + 2) * 50)]++;
                }
            }
        }
        String at = type + " x " + n;
        assertEquals(n, got.values, at);
        assertEquals(unit, got.inUnit, at);
        assertEquals(nan, got.nan, at);
        assertEquals(inf, got.inf, at);
        assertEquals(finite, got.finite, at);
        assertEquals(below, got.below(), at);
        assertEquals(above, got.above(), at);
        assertArrayEquals(counts, got.bins(), at);
        if (finite > 0) {
            assertEquals(min, got.min, at);
            assertEquals(max, got.max, at);
            double mean = sum / finite, m2 = 0;
            for (int i = 0; i < n; i++) {
                double v = FloatValues.get(type, s, i);
                m2 += Double.isFinite(v) ? (v - mean) * (v - mean) : 0;
            }
            assertEquals(mean, got.mean, 1e-9 * (1 + Math.abs(mean)), at);
            assertEquals(m2, got.m2, 1e-9 * (1 + m2), at);
        }
    }
}
