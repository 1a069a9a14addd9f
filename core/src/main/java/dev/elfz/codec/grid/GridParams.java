package dev.elfz.codec.grid;

import dev.elfz.codec.CodecParams;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parameters of grid chunks: the user's absolute error bound and the grid's step. The step is a little under
 * {@code 2 * bound} so that rounding the grid point to the float type rarely pushes a value past the bound; the
 * kernel checks every value and keeps the few that would go past exact.
 *
 * @param errorBound every decoded value is within this of the original
 * @param step the grid's spacing: {@code 0 < step <= 2 * errorBound}
 */
public record GridParams(double errorBound, double step) implements CodecParams {

    /**
     * The step for a bound: 2E less 1/1024 of it, computed exactly the same way everywhere; the largest double when
     * that overflows (E above 2^1023), so that the step stays finite.
     */
    public static GridParams forBound(double errorBound) {
        return new GridParams(errorBound, Math.min(2 * errorBound * (1 - 0x1p-10), Double.MAX_VALUE));
    }

    public GridParams {
        if (!(errorBound > 0) || Double.isInfinite(errorBound) || !(step > 0) || !(step <= 2 * errorBound)) {
            throw new IllegalArgumentException("grid error bound " + errorBound + " and step " + step
                    + ": need 0 < step <= 2 * bound, both finite");
        }
    }

    @Override
    public Map<String, Object> toIndex() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error_bound", errorBound);
        m.put("step", step);
        return m;
    }

    /** From an index's params. */
    public static GridParams fromIndex(Map<String, Object> p) {
        if (!(p.get("error_bound") instanceof Number e) || !(p.get("step") instanceof Number s) || p.size() != 2) {
            throw new IllegalArgumentException("grid needs error_bound and step (numbers) only, not " + p);
        }
        return new GridParams(e.doubleValue(), s.doubleValue());
    }
}
