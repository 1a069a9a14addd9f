package dev.elfz.codec.kmeans;

import dev.elfz.codec.FloatValues;
import dev.elfz.codec.TensorCheck;
import dev.elfz.kernel.ElfType;
import java.lang.foreign.MemorySegment;
import java.util.function.DoublePredicate;

/** Verify's check of a k-means codebook: every centroid within the values it was fitted on ({@link KmeansParams#outsideRange}). */
final class CodebookRange implements TensorCheck {

    private record Range(double low, double high) implements Part {}

    private final KmeansParams params;
    private final ElfType type;
    private double low = Double.POSITIVE_INFINITY;
    private double high = Double.NEGATIVE_INFINITY;

    CodebookRange(KmeansParams params, ElfType type) {
        this.params = params;
        this.type = type;
    }

    @Override
    public Part part(MemorySegment original, long first, MemorySegment coded, boolean last, DoublePredicate coding) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (long i = 0; i < original.byteSize() / type.valueBytes(); i++) {
            double x = FloatValues.get(type, original, i);
            if (Double.isFinite(x) && coding.test(x)) { // what the codebook was fitted on
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
        }
        return new Range(lo, hi);
    }

    @Override
    public String follow(Part part) {
        Range r = (Range) part;
        low = Math.min(low, r.low());
        high = Math.max(high, r.high());
        return null;
    }

    @Override
    public String finish() {
        return params.outsideRange(low, high);
    }
}
