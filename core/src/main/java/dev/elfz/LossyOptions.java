package dev.elfz;

import java.util.List;

/**
 * Quantization and pruning settings, used when {@link ElfzOptions#codec()} is uniform or k-means, or a pruning
 * fraction or threshold is set. They apply to the selected tensors only: float tensors of rank 2 or more with at
 * least {@code minElements} values whose names match an {@code include} glob (all, when empty) and no
 * {@code exclude} glob (Java PathMatcher globs: {@code *} stops at '/', {@code **} does not).
 *
 * @param bits code width of uniform and k-means quantization, 1..8
 * @param granularity uniform: one scale per tensor, per row of axis 0 (channel), or per group
 * @param groupSize values per group along the last axis for {@link Granularity#GROUP}
 * @param symmetric uniform: zero point 0, scale max|w| / Qmax
 * @param pruneFraction the fraction of the selected values (of all files together) with the smallest |w| to
 *     drop, or NaN for none
 * @param pruneThreshold drop every selected value with |w| below this, or NaN for none
 */
public record LossyOptions(
        int bits,
        Granularity granularity,
        long groupSize,
        boolean symmetric,
        double pruneFraction,
        double pruneThreshold,
        List<String> include,
        List<String> exclude,
        long minElements) {

    public static final LossyOptions NONE =
            new LossyOptions(8, Granularity.TENSOR, 32, false, Double.NaN, Double.NaN, List.of(), List.of(), 4096);

    public LossyOptions {
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
        if (bits < 1 || bits > 8) {
            throw new IllegalArgumentException("bits must be 1 to 8, not " + bits);
        }
        if (groupSize < 1) {
            throw new IllegalArgumentException("group size must be at least 1, not " + groupSize);
        }
        if (!Double.isNaN(pruneFraction) && !(pruneFraction >= 0 && pruneFraction <= 1)) {
            throw new IllegalArgumentException("prune fraction must be between 0 and 1, not " + pruneFraction);
        }
        if (!Double.isNaN(pruneThreshold) && !(pruneThreshold >= 0 && pruneThreshold < Float.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("prune threshold must be a finite number >= 0, not " + pruneThreshold);
        }
        if (!Double.isNaN(pruneFraction) && !Double.isNaN(pruneThreshold)) {
            throw new IllegalArgumentException("give a prune fraction or a prune threshold, not both");
        }
        if (symmetric && bits < 2) {
            throw new IllegalArgumentException("symmetric quantization needs 2 bits or more");
        }
        if (minElements < 0) {
            throw new IllegalArgumentException("min elements must be 0 or more, not " + minElements);
        }
        if (granularity == Granularity.CHANNEL && (!Double.isNaN(pruneFraction) || !Double.isNaN(pruneThreshold))) {
            throw new IllegalArgumentException(
                    "per-channel quantization does not combine with pruning (use a group size)");
        }
    }

    /** Whether values are pruned. */
    public boolean prunes() {
        return !Double.isNaN(pruneFraction) || !Double.isNaN(pruneThreshold);
    }

    public LossyOptions withBits(int b) {
        return new LossyOptions(
                b, granularity, groupSize, symmetric, pruneFraction, pruneThreshold, include, exclude, minElements);
    }

    public LossyOptions withGranularity(Granularity g, long size) {
        return new LossyOptions(bits, g, size, symmetric, pruneFraction, pruneThreshold, include, exclude, minElements);
    }

    public LossyOptions withSymmetric(boolean s) {
        return new LossyOptions(
                bits, granularity, groupSize, s, pruneFraction, pruneThreshold, include, exclude, minElements);
    }

    /** @throws IllegalArgumentException for NaN too, which in the record means "no pruning" */
    public LossyOptions withPruneFraction(double f) {
        if (Double.isNaN(f)) {
            throw new IllegalArgumentException("prune fraction must be between 0 and 1, not NaN");
        }
        return new LossyOptions(bits, granularity, groupSize, symmetric, f, Double.NaN, include, exclude, minElements);
    }

    /** @throws IllegalArgumentException for NaN too, which in the record means "no pruning" */
    public LossyOptions withPruneThreshold(double t) {
        if (Double.isNaN(t)) {
            throw new IllegalArgumentException("prune threshold must be a finite number >= 0, not NaN");
        }
        return new LossyOptions(bits, granularity, groupSize, symmetric, Double.NaN, t, include, exclude, minElements);
    }

    public LossyOptions withSelection(List<String> inc, List<String> exc, long min) {
        return new LossyOptions(bits, granularity, groupSize, symmetric, pruneFraction, pruneThreshold, inc, exc, min);
    }
}
