package dev.elfz.container;

import dev.elfz.Codec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.kmeans.KmeansParams;
import dev.elfz.codec.prune.PruneParams;
import dev.elfz.codec.uniform.UniformParams;

/**
 * The lecture's compression-ratio formulas: the ideal sizes of a codec's payload, without the container's
 * chunking, checksums or index. Beside the on-disk ratio, they show what the method itself gives.
 * {@code b} is the dtype's width in bits (32 for float32), {@code N} the values.
 */
public final class FormulaRatio {

    private FormulaRatio() {}

    /** Pruning with a 1-bit bitmap: {@code N b / (N (1 - s) b + N)}. AlexNet, 15%: 1.135. */
    public static double pruning(long n, double fraction, int valueBits) {
        return (double) n * valueBits / (n * (1 - fraction) * valueBits + n);
    }

    /**
     * Uniform quantization: {@code N b / (N n + G (n + 32))} with one n-bit zero point and a 32-bit scale per group
     * ({@code G} groups; the lecture's example has one: 10 values at 2 bits, 5.93).
     */
    public static double uniform(long n, int bits, long groups, int valueBits) {
        return (double) n * valueBits / ((double) n * bits + groups * (bits + 32.0));
    }

    /** Non-uniform quantization: {@code N b / (N n + 2^n (n + 32))}, the codebook as index and value pairs (2.05). */
    public static double nonUniform(long n, int bits, int valueBits) {
        return (double) n * valueBits / ((double) n * bits + (1 << bits) * (bits + 32.0));
    }

    /**
     * The formula ratio of a stored tensor: raw 1; ELF {@code b / (m + 1)} (24 bits for float32, exceptions left
     * out); quantization and pruning as above, pruning with the fraction actually dropped.
     *
     * @param keptFraction the fraction of values a pruned tensor kept (ignored otherwise)
     */
    public static double of(Codec codec, CodecParams params, long n, int valueBits, double keptFraction) {
        return switch (codec) {
            case RAW, LOSSLESS -> 1; // lossless only reorders bytes: all its gain is the entropy stage's
            case GRID -> valueBits / 32.0; // u32 codes before the entropy stage
            case ELF -> valueBits / (double) (valueBits == 32 ? 24 : valueBits == 64 ? 53 : valueBits == 16 ? 11 : 8);
            case UNIFORM -> {
                UniformParams u = (UniformParams) params;
                yield uniform(n, u.bits(), (n + u.groupSize() - 1) / u.groupSize(), valueBits);
            }
            case KMEANS -> nonUniform(n, ((KmeansParams) params).bits(), valueBits);
            case PRUNE -> {
                PruneParams p = (PruneParams) params;
                long kept = Math.round(n * keptFraction);
                // the survivors' size by the inner codec's own formula, plus the bitmap
                double innerBits = kept == 0 ? 0 : kept * valueBits / of(p.inner(), p.innerParams(), kept, valueBits, 1);
                yield n * (double) valueBits / (innerBits + n);
            }
        };
    }
}
