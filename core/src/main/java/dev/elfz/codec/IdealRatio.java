package dev.elfz.codec;

/**
 * Ideal compression ratios: a tensor's size over the size of a codec's codes alone, {@code N b / (coded bits)}, with
 * no entropy stage, chunking, checksums or index. Beside the ratio on disk, they show what the method itself gives.
 * {@code b} is the dtype's width in bits (32 for float32), {@code N} the values. Each codec's
 * {@link ValueCodec#idealRatio} is one of these.
 */
public final class IdealRatio {

    private IdealRatio() {}

    /** Pruning a fraction {@code s} with a 1-bit bitmap: {@code N b / (N (1 - s) b + N)}. AlexNet, 15%: 1.135. */
    public static double pruning(long n, double fraction, int valueBits) {
        return (double) n * valueBits / (n * (1 - fraction) * valueBits + n);
    }

    /**
     * Pruning whose {@code kept} survivors take {@code innerBits} (their codec's ideal size): {@code N b / (innerBits
     * + N)}, the bitmap one bit a value.
     */
    public static double pruned(long n, double innerBits, int valueBits) {
        return n * (double) valueBits / (innerBits + n);
    }

    /**
     * Uniform quantization: {@code N b / (N n + G (n + 32))} with one n-bit zero point and a 32-bit scale per group
     * ({@code G} groups; one group of 10 values at 2 bits gives 5.93).
     */
    public static double uniform(long n, int bits, long groups, int valueBits) {
        return (double) n * valueBits / ((double) n * bits + groups * (bits + 32.0));
    }

    /** Non-uniform quantization: {@code N b / (N n + 2^n (n + 32))}, the codebook as index and value pairs (2.05). */
    public static double nonUniform(long n, int bits, int valueBits) {
        return (double) n * valueBits / ((double) n * bits + (1 << bits) * (bits + 32.0));
    }

    /** Codes of {@code codeBits} per value, exceptions left out: {@code b / codeBits}. */
    public static double fixedWidth(int valueBits, int codeBits) {
        return valueBits / (double) codeBits;
    }
}
