package dev.elfz.codec;

/**
 * What {@code elfz verify} checks of each decoded value of a codec whose bits differ from the original's: the codec's
 * own promise (ELF: exact outside (-1, 1); grid: the user's bound exactly; the others: the value's bound plus an ulp
 * of the dtype for the rounding). The comparison itself (reading, statistics, lossless streams) is verify's.
 */
@FunctionalInterface
public interface ValueCheck {

    /**
     * Why {@code y}, decoded from original {@code x}, breaks the promise when the codec bounds this value's error by
     * {@code bound} ({@link ValueCodec#bounds}); null when it keeps it.
     */
    String outside(double x, double y, double bound);

    /** Null when {@code |x - y|} is within {@code bound} exactly (no rounding allowed); else by how much it is not. */
    static String within(double x, double y, double bound) {
        double error = Math.abs(x - y);
        return error <= bound ? null : "error " + error + " > bound " + bound;
    }
}
