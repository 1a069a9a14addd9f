package dev.elfz.codec.blocks;

import dev.elfz.codec.CodecParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The layout of one quantized block as byte fields in order, each a plane of its own: Q8_0 ({@code f16 d; i8 qs[32]})
 * is {@code [1, 1, 32]}, the scale's low and high bytes apart.
 *
 * @param widths bytes of each field, 1 to {@link #MAX_BLOCK} together, at most {@link #MAX_FIELDS} fields
 */
public record BlockFields(int[] widths) implements CodecParams {

    /** Fields a block may have: the entropy stage codes at most 255 sections. */
    public static final int MAX_FIELDS = 64;

    /** Bytes a block may have (ggml's largest is Q8_K's 292). */
    public static final int MAX_BLOCK = 4096;

    public BlockFields {
        widths = widths.clone();
        if (widths.length == 0 || widths.length > MAX_FIELDS) {
            throw new IllegalArgumentException("blocks: " + widths.length + " fields, not 1.." + MAX_FIELDS);
        }
        long sum = 0;
        for (int w : widths) {
            if (w < 1) {
                throw new IllegalArgumentException("blocks: a field of " + w + " bytes");
            }
            sum += w;
        }
        if (sum > MAX_BLOCK) {
            throw new IllegalArgumentException("blocks: a block of " + sum + " bytes, over " + MAX_BLOCK);
        }
    }

    /** Bytes of one block. */
    public int blockBytes() {
        int sum = 0;
        for (int w : widths) {
            sum += w;
        }
        return sum;
    }

    @Override
    public int[] widths() {
        return widths.clone();
    }

    @Override
    public Map<String, Object> toIndex() {
        List<Object> l = new ArrayList<>();
        for (int w : widths) {
            l.add(w);
        }
        return Map.of("fields", l);
    }

    /** From an index's params: {@code fields}, a list of positive integers, only. */
    public static BlockFields fromIndex(Map<String, Object> p) {
        if (!(p.get("fields") instanceof List<?> l) || p.size() != 1 || l.size() > MAX_FIELDS) {
            throw new IllegalArgumentException(
                    "blocks needs fields (a list of at most " + MAX_FIELDS + " byte widths) only, not " + p);
        }
        int[] w = new int[l.size()];
        for (int i = 0; i < w.length; i++) {
            if (!(l.get(i) instanceof Number n)
                    || n.doubleValue() != Math.rint(n.doubleValue())
                    || n.doubleValue() < 1
                    || n.doubleValue() > MAX_BLOCK) {
                throw new IllegalArgumentException("blocks: field " + i + " is " + l.get(i) + ", not a byte width");
            }
            w[i] = n.intValue();
        }
        return new BlockFields(w);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockFields b && Arrays.equals(widths, b.widths);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(widths);
    }

    @Override
    public String toString() {
        return "blocks" + Arrays.toString(widths);
    }
}
