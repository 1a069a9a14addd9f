package dev.elfz.codec.uniform;

import dev.elfz.codec.FloatValues;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.QuantScalar;

/**
 * Uniform affine quantization of one group (Jacob et al. 2018, arXiv:1712.05877): {@code Scaling = (Rmax - Rmin) / (Qmax - Qmin)},
 * {@code Z = round(Qmax - Rmax / Scaling)}; symmetric: {@code Scaling = max|R| / Qmax}, {@code Z = 0}.
 * The range is first widened to hold 0, as PyTorch does: 0 (pruned weights, padding) is then exact and Z
 * lies in [Qmin, Qmax], so it fits the code's own width. A group whose range is a single point 0 gets scale 1.
 */
public final class UniformMath {

    private UniformMath() {}

    public static int qmin(int bits) {
        return -(1 << (bits - 1));
    }

    public static int qmax(int bits) {
        return (1 << (bits - 1)) - 1;
    }

    /** The scale for a group of values in [rmin, rmax] (finite). */
    public static float scale(float rmin, float rmax, int bits, boolean symmetric) {
        float s = formulaScale(rmin, rmax, bits, symmetric);
        return s > 0 && Float.isFinite(s) ? s : 1f;
    }

    /** The formula's scale in float32: 0 when the range is 0 (or underflows), infinite when it overflows. */
    private static float formulaScale(float rmin, float rmax, int bits, boolean symmetric) {
        float lo = Math.min(rmin, 0f);
        float hi = Math.max(rmax, 0f);
        return symmetric ? Math.max(-lo, hi) / qmax(bits) : (hi - lo) / (qmax(bits) - qmin(bits));
    }

    /**
     * Why a group whose values of the type lie in [lo, hi] (exactly, as doubles) cannot be quantized within the
     * promise, or null when it can: its scale must be the formula's in float32 (neither overflowing nor lost to
     * underflow while the range is not 0), and both extremes must decode, rounded to the type, finite and within
     * scale / 2. Quantization is monotone, so every value between them decodes between their decoded values, with
     * the error of the extreme on its side at most. An empty group (lo > hi) is fine.
     */
    public static String unsafe(ElfType type, double lo, double hi, int bits, boolean symmetric) {
        if (lo == Double.POSITIVE_INFINITY && hi == Double.NEGATIVE_INFINITY) {
            return null;
        }
        if (!Double.isFinite(lo) || !Double.isFinite(hi)) {
            return "holds NaN or Inf";
        }
        double limit = switch (type) { // the largest finite value, of float32 for F64's float32 range and scale
            case F16 -> 65504;
            case BF16 -> 0x1.fep127;
            default -> Float.MAX_VALUE;
        };
        if (Math.max(-lo, hi) <= limit / 4 && Math.max(hi, 0) - Math.min(lo, 0) >= 0x1p-60) {
            return null; // the usual group, far from both limits: |decoded| <= max |x| + scale / 2 <= limit / 2
        }
        float s = formulaScale((float) lo, (float) hi, bits, symmetric);
        boolean zeroRange = Math.min(lo, 0) == 0 && Math.max(hi, 0) == 0;
        if (!zeroRange && !(s > 0 && Float.isFinite(s))) {
            return "range [" + lo + ", " + hi + "]: its scale " + (s > 0 ? "overflows" : "underflows") + " float32";
        }
        float scale = scale((float) lo, (float) hi, bits, symmetric);
        int z = zero((float) hi, scale, bits, symmetric);
        for (double x : new double[] {lo, hi}) {
            double y = QuantScalar.decoded(type, QuantScalar.code(type, x, scale, z, bits), scale, z, bits);
            if (FloatValues.outside(type, x, y, scale / 2.0) != null) {
                return x + " would decode as " + y + " (scale " + scale + ")";
            }
        }
        return null;
    }

    /**
     * Why a stored scale and zero point are not the formula's for a group of values in [lo, hi] (exactly, as doubles);
     * null when they are, bit for bit.
     */
    public static String wrongParams(double lo, double hi, int bits, boolean symmetric, float scale, int zero) {
        float s = scale((float) lo, (float) hi, bits, symmetric);
        int z = zero((float) hi, s, bits, symmetric);
        return Float.floatToRawIntBits(s) == Float.floatToRawIntBits(scale) && z == zero
                ? null
                : "scale " + scale + " and zero point " + zero + ", not the formula's " + s + " and " + z
                        + " for its values in [" + lo + ", " + hi + "]";
    }

    /** The zero point for a group of values in [rmin, rmax] with this scale; 0 when symmetric. */
    public static int zero(float rmax, float scale, int bits, boolean symmetric) {
        if (symmetric) {
            return 0;
        }
        double z = Math.rint(qmax(bits) - Math.max(rmax, 0f) / (double) scale);
        return (int) Math.max(qmin(bits), Math.min(qmax(bits), z)); // already in range up to rounding
    }
}
