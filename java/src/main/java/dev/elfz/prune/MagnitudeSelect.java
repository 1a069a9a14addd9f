package dev.elfz.prune;

import dev.elfz.codec.FloatValues;
import dev.elfz.kernel.ElfType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The global magnitude threshold: the k-th smallest |w| over many tensors, found without sorting or copying
 * them. A radix select on the float32 bits of |w| (which order like the magnitudes): one pass counts the top 16
 * bits, a second counts the low 16 bits inside the bin that holds the k-th value. NaN sorts above everything,
 * so it is never pruned.
 */
public final class MagnitudeSelect {

    private MagnitudeSelect() {}

    /** A tensor's values. */
    public record Values(ElfType type, MemorySegment data) {

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
    public static float threshold(List<Values> parts, double fraction) {
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
        for (Values v : parts) {
            for (long i = 0, n = v.count(); i < n; i++) {
                high[bits(v, i) >>> 16]++;
            }
        }
        int bin = 0;
        long below = 0;
        while (below + high[bin] < k) {
            below += high[bin++];
        }
        long[] low = new long[1 << 16];
        for (Values v : parts) {
            for (long i = 0, n = v.count(); i < n; i++) {
                int b = bits(v, i);
                if (b >>> 16 == bin) {
                    low[b & 0xffff]++;
                }
            }
        }
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

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The float32 bits of |w|, NaN made the largest. */
    private static int bits(Values v, long i) {
        int b;
        if (v.type() == ElfType.F32) { // the common case, straight from the bits
            b = v.data().getAtIndex(I32, i) & 0x7fffffff;
        } else {
            b = Float.floatToRawIntBits(FloatValues.magnitude(v.type(), v.data(), i));
        }
        return b > 0x7f800000 ? 0x7fffffff : b;
    }
}
