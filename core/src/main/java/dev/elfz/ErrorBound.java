package dev.elfz;

/**
 * Which codec meets a user's absolute error bound E on a tensor (--error-bound). Every decoded value is within E
 * of the original; values no grid can hold within E stay exact.
 * <ul>
 *   <li>F32 and F64 with {@code E >= 2^-20}: the grid codec (step just under 2E).</li>
 *   <li>F32 and F64 with E at least ELF's bound (2^-24, 2^-53) but below 2^-20: ELF, whose fixed-point grid
 *       of [1, 2) is exact arithmetic where a float grid would round past E.</li>
 *   <li>Below ELF's bound, E = 0, and F16 and BF16 (whose own precision is coarser than a useful E): lossless.</li>
 *   <li>Other dtypes: as they are.</li>
 * </ul>
 */
public final class ErrorBound {

    /** The smallest bound the grid codec takes; below it ELF's exact grid wins. */
    public static final double GRID_MIN = 0x1p-20;

    private ErrorBound() {}

    /** The codec for a tensor of this dtype under bound {@code e}. */
    public static Codec codecFor(Dtype dtype, double e) {
        if (dtype.elfType() == null) {
            return Codec.RAW;
        }
        if (dtype != Dtype.F32 && dtype != Dtype.F64) {
            return Codec.LOSSLESS;
        }
        if (e >= GRID_MIN) {
            return Codec.GRID;
        }
        return e >= dtype.elfType().errorBound() ? Codec.ELF : Codec.LOSSLESS;
    }
}
