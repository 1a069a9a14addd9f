package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.elfz.codec.CodecParams;
import dev.elfz.codec.IdealRatio;
import dev.elfz.codec.ValueCodec;
import dev.elfz.codec.kmeans.Kmeans;
import dev.elfz.codec.kmeans.KmeansParams;
import dev.elfz.codec.registry.Codecs;
import dev.elfz.codec.uniform.UniformMath;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Worked examples of the quantization and pruning formulas, exactly: the ideal ratios, a 2-bit uniform quantization
 * of ten values on every kernel, and a 2-bit k-means codebook of the same values (as in Han et al. 2016, Deep
 * Compression, arXiv:1510.00149).
 */
class FormulaExamplesTest {

    static final float[] TEN = {2.09f, -0.98f, 1.48f, 0.09f, -0.05f, 1.92f, -1.03f, 1.53f, 0f, 2.12f};

    @Test
    void pruningFifteenPercentOfAlexNet() {
        // 61M float32, 15% pruned, a 1-bit bitmap: 244M / 215M
        assertEquals(1.135, IdealRatio.pruning(61_000_000, 0.15, 32), 5e-4);
    }

    @Test
    void elfKeepsSignAndMantissa() {
        // 1 + |x| has a fixed exponent for |x| < 1: a code is the sign and the IEEE mantissa bits of the dtype
        ValueCodec elf = Codecs.of(Codec.ELF);
        assertEquals(32.0 / (1 + 23), elf.idealRatio(CodecParams.NONE, 100, 100, Dtype.F32), 1e-12);
        assertEquals(16.0 / (1 + 10), elf.idealRatio(CodecParams.NONE, 100, 100, Dtype.F16), 1e-12);
        assertEquals(16.0 / (1 + 7), elf.idealRatio(CodecParams.NONE, 100, 100, Dtype.BF16), 1e-12);
        assertEquals(64.0 / (1 + 52), elf.idealRatio(CodecParams.NONE, 100, 100, Dtype.F64), 1e-12);
    }

    @Test
    void uniformTwoBitsOnTenValues() {
        // Scaling = (2.12 - -1.03) / (1 - -2) = 1.05 by the formula (a hand computation rounding early gets 1.04), Z =
        // -1
        float scale = UniformMath.scale(-1.03f, 2.12f, 2, false);
        assertEquals(1.05f, scale, 1e-6f);
        assertEquals(-1, UniformMath.zero(2.12f, scale, 2, false));
        for (Kernel k : Kernels.available()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_FLOAT, TEN);
                MemorySegment scales = arena.allocateFrom(ValueLayout.JAVA_FLOAT, scale);
                MemorySegment zeros = arena.allocateFrom(ValueLayout.JAVA_BYTE, (byte) -1);
                MemorySegment codes = arena.allocate(10);
                k.quantize(ElfType.F32, src, 10, 10, 0, scales, zeros, 2, codes);
                int[] q = new int[10];
                for (int i = 0; i < 10; i++) {
                    q[i] = codes.get(ValueLayout.JAVA_BYTE, i) + UniformMath.qmin(2); // codes are q - Qmin
                }
                assertArrayEquals(new int[] {1, -2, 0, -1, -1, 1, -2, 0, -1, 1}, q, k.name());
                MemorySegment back = arena.allocate(40);
                k.dequantize(ElfType.F32, codes, 10, 10, 0, scales, zeros, 2, back);
                for (int i = 0; i < 10; i++) { // r' = (q - Z) * Scaling
                    assertEquals((q[i] + 1) * 1.05f, back.getAtIndex(ValueLayout.JAVA_FLOAT, i), 1e-6f);
                }
            }
        }
        assertEquals(5.93, IdealRatio.uniform(10, 2, 1, 32), 5e-3); // 10 * 32 / (10 * 2 + 2 + 32)
    }

    @Test
    void nonUniformTwoBitsOnTenValues() throws IOException {
        assertEquals(2.05, IdealRatio.nonUniform(10, 2, 32), 5e-3); // 10 * 32 / (10 * 2 + 4 * (2 + 32))
        // A rounded codebook {-1, 0, 1.5, 2.0}: the nearest centroid for each value (0 codes as 01, the centroid 0,
        // which is what a k-means assignment gives).
        KmeansParams rounded = new KmeansParams(2, new float[] {-1f, 0f, 1.5f, 2.0f}, 0);
        assertArrayEquals(new int[] {3, 0, 2, 1, 1, 3, 0, 2, 1, 3}, bucketize(rounded));
        // k-means on the ten values finds these four clusters, at their means
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_FLOAT, TEN);
            KmeansParams fit = Kmeans.fit(List.of(new Kmeans.Values(ElfType.F32, src)), 2, 0);
            float[] expected = {
                (-0.98f - 1.03f) / 2, (0.09f - 0.05f + 0f) / 3, (1.48f + 1.53f) / 2, (2.09f + 1.92f + 2.12f) / 3
            };
            assertArrayEquals(expected, fit.codebook(), 1e-6f);
            assertArrayEquals(new int[] {3, 0, 2, 1, 1, 3, 0, 2, 1, 3}, bucketize(fit));
        }
    }

    private static int[] bucketize(KmeansParams p) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_FLOAT, TEN);
            MemorySegment bounds = arena.allocateFrom(ValueLayout.JAVA_FLOAT, p.bounds());
            MemorySegment codes = arena.allocate(10);
            Kernels.best().bucketize(ElfType.F32, src, 10, bounds, 3, codes);
            int[] c = new int[10];
            for (int i = 0; i < 10; i++) {
                c[i] = codes.get(ValueLayout.JAVA_BYTE, i);
            }
            return c;
        }
    }
}
