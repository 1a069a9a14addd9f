package dev.elfz.codec.prune;

import dev.elfz.codec.FloatValues;
import dev.elfz.io.InputChangedException;
import dev.elfz.io.MappedInput;
import dev.elfz.kernel.ElfType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

/**
 * The global magnitude threshold: the k-th smallest |w| over many tensors, found without sorting or copying
 * them. A radix select on the float32 bits of |w| (which order like the magnitudes): one pass counts the top 16
 * bits, a second counts the low 16 bits inside the bin that holds the k-th value. NaN sorts above everything,
 * so it is never pruned. A mapped tensor is read through private copies, 1 MiB at a time (MappedInput).
 */
public final class MagnitudeSelect {

    private MagnitudeSelect() {}

    /**
     * A tensor's values: a mapping of {@code file}, read through private copies (MappedInput), or private memory
     * ({@code file} null).
     */
    public record Values(ElfType type, MemorySegment data, Path file) {

        public Values(ElfType type, MemorySegment data) {
            this(type, data, null);
        }

        long count() {
            return data.byteSize() / type.valueBytes();
        }
    }

    /**
     * The threshold that prunes {@code fraction} of all the values: pruning keeps exactly the values with
     * {@code |w| >= threshold}. Ties at the k-th magnitude are all pruned, so slightly more than the fraction may go.
     *
     * @return 0 (prunes nothing) for a fraction of 0 or no values
     */
    public static float threshold(List<Values> parts, double fraction) throws InputChangedException {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("prune fraction " + fraction + " is not between 0 and 1");
        }
        long total = 0;
        for (Values v : parts) {
            total += v.count();
        }
        long k = Math.round(fraction * total); // the k smallest go
        if (k == 0) {
            return 0f;
        }
        long[] high = new long[1 << 16];
        histogram(parts, high, -1);
        int bin = 0;
        long below = 0;
        while (below + high[bin] < k) {
            below += high[bin++];
        }
        long[] low = new long[1 << 16];
        histogram(parts, low, bin);
        int l = 0;
        while (below + low[l] < k) {
            below += low[l++];
        }
        float kth = Float.intBitsToFloat(bin << 16 | l);
        if (Float.isNaN(kth)) {
            return Float.POSITIVE_INFINITY; // k reaches the NaNs: every finite value goes, NaN and Inf stay
        }
        return Math.nextUp(kth); // keep |w| >= nextUp(kth): the k-th and everything below it go
    }

    /**
     * Counts the values by the top 16 bits of {@link #bits} ({@code top} -1), or by the low 16 bits those whose top
     * bits are {@code top}.
     */
    private static void histogram(List<Values> parts, long[] bins, int top) throws InputChangedException {
        for (Values v : parts) {
            MappedInput.forEachPart(v.file(), v.data(), v.type().valueBytes(), (part, first) -> {
                for (long i = 0, n = part.byteSize() / v.type().valueBytes(); i < n; i++) {
                    int b = bits(v.type(), part, i);
                    if (top < 0) {
                        bins[b >>> 16]++;
                    } else if (b >>> 16 == top) {
                        bins[b & 0xffff]++;
                    }
                }
            });
        }
    }

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The float32 bits of |w|, NaN made the largest. */
    private static int bits(ElfType type, MemorySegment data, long i) {
        int b;
        if (type == ElfType.F32) { // the common case, straight from the bits
            b = data.getAtIndex(I32, i) & 0x7fffffff;
        } else {
            b = Float.floatToRawIntBits(FloatValues.magnitude(type, data, i));
        }
        return b > 0x7f800000 ? 0x7fffffff : b;
    }
}
