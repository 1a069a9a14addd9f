package dev.elfz.codec.uniform;

import dev.elfz.codec.FloatValues;
import dev.elfz.codec.TensorCheck;
import dev.elfz.kernel.ElfType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.DoublePredicate;

/**
 * What verify learns from one chunk of a uniform tensor about its groups, to check that each group's stored scale
 * and zero point are the formula's for its values: the first and last group the chunk touches, which may go on in
 * the chunks before and after (the same one when the chunk lies inside a group), and the first problem of those in
 * between, checked whole in the worker. Memory stays two groups, whatever the chunk and group sizes.
 */
record UniformGroups(UniformGroups.Group first, UniformGroups.Group last, String problem, boolean lastChunk)
        implements TensorCheck.Part {

    /**
     * One group as far as chunks have shown it: the range of its values, and the scale and zero point stored for it
     * (scale NaN: only stored chunks so far).
     */
    static final class Group {
        final long index;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        float scale = Float.NaN;
        int zero;

        Group(long index) {
            this.index = index;
        }

        /** Takes in what an earlier chunk saw of this group; null, or what is wrong when the chunks disagree. */
        String merge(Group earlier) {
            lo = Math.min(lo, earlier.lo);
            hi = Math.max(hi, earlier.hi);
            if (Float.isNaN(scale)) {
                scale = earlier.scale;
                zero = earlier.zero;
            } else if (!Float.isNaN(earlier.scale)
                    && (Float.floatToRawIntBits(scale) != Float.floatToRawIntBits(earlier.scale)
                            || zero != earlier.zero)) {
                return "group " + index + ": a scale and zero point that differ from chunk to chunk";
            }
            return null;
        }

        /** Null when the group, seen whole, has the formula's scale and zero point (or was never coded). */
        String check(UniformParams p) {
            String bad =
                    Float.isNaN(scale) ? null : UniformMath.wrongParams(lo, hi, p.bits(), p.symmetric(), scale, zero);
            return bad == null ? null : "group " + index + ": " + bad;
        }
    }

    /**
     * The groups of a chunk of a uniform tensor whose original values are {@code x}, from value {@code from} of the
     * tensor; {@code coded} is the chunk's coded bytes (its scales and zero points first), null when it was stored.
     */
    static UniformGroups of(
            UniformParams p, ElfType type, MemorySegment x, long from, MemorySegment coded, boolean lastChunk) {
        long n = x.byteSize() / type.valueBytes();
        long g0 = from / p.groupSize();
        long groups = (from + n - 1) / p.groupSize() - g0 + 1;
        Group first = new Group(g0);
        Group last = groups == 1 ? first : new Group(g0 + groups - 1);
        String problem = null;
        Group g = first;
        for (long i = 0; i < n; i++) {
            long index = (from + i) / p.groupSize();
            if (index != g.index) { // g ends here: its stored parameters, and its check if it lay inside the chunk
                stored(g, coded, p, g0, groups);
                problem = problem != null || g == first ? problem : g.check(p);
                g = index == last.index ? last : new Group(index);
            }
            double v = FloatValues.get(type, x, i);
            g.lo = Math.min(g.lo, v);
            g.hi = Math.max(g.hi, v);
        }
        stored(g, coded, p, g0, groups);
        return new UniformGroups(first, last, problem, lastChunk);
    }

    /** Reads g's scale and zero point from the chunk (FORMAT.md: the scales, then the zero points unless symmetric). */
    private static void stored(Group g, MemorySegment coded, UniformParams p, long g0, long groups) {
        if (coded != null) {
            g.scale = coded.getAtIndex(FloatValues.F32, g.index - g0);
            g.zero = p.symmetric() ? 0 : coded.get(ValueLayout.JAVA_BYTE, groups * Float.BYTES + g.index - g0);
        }
    }

    /**
     * Follows the tensor's previous chunk, whose last group {@code before} may go on here (null for the first chunk):
     * checks the groups that end here and returns the one that may go on in the next chunk (null after the last). The
     * first problem goes to {@code problem[0]} unless it holds one already.
     */
    Group follow(Group before, UniformParams p, String[] problem) {
        String[] found = {
            problem[0],
            this.problem,
            before == null ? null : before.index == first.index ? first.merge(before) : before.check(p),
            first != last ? first.check(p) : null,
            lastChunk ? last.check(p) : null
        };
        for (String f : found) {
            if (problem[0] == null) {
                problem[0] = f;
            }
        }
        return lastChunk ? null : last;
    }
}

/** Verify's check of a uniform tensor's groups, in chunk order ({@link UniformGroups}). */
final class UniformGroupCheck implements TensorCheck {

    private final UniformParams params;
    private final ElfType type;
    private UniformGroups.Group open; // a group that may go on in the next chunk

    UniformGroupCheck(UniformParams params, ElfType type) {
        this.params = params;
        this.type = type;
    }

    @Override
    public boolean readsCoded() {
        return true;
    }

    @Override
    public Part part(MemorySegment original, long first, MemorySegment coded, boolean last, DoublePredicate coding) {
        return UniformGroups.of(params, type, original, first, coded, last);
    }

    @Override
    public String follow(Part part) {
        String[] problem = {null};
        open = ((UniformGroups) part).follow(open, params, problem);
        return problem[0];
    }
}
