package dev.elfz.uniform;

/**
 * The lecture's formulas for one group: {@code Scaling = (Rmax - Rmin) / (Qmax - Qmin)},
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
        float lo = Math.min(rmin, 0f);
        float hi = Math.max(rmax, 0f);
        float s = symmetric ? Math.max(-lo, hi) / qmax(bits) : (hi - lo) / (qmax(bits) - qmin(bits));
        return s > 0 && Float.isFinite(s) ? s : 1f;
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
