package dev.elfz.codec;

import java.util.function.LongToDoubleFunction;

/**
 * The error bounds of a coded chunk's values ({@link ValueCodec#bounds}).
 *
 * @param max the largest of them (what {@code elfz verify} reports)
 * @param at the bound of the chunk's value {@code i}
 */
public record Bounds(double max, LongToDoubleFunction at) {

    /** The same bound for every value. */
    public static Bounds constant(double b) {
        return new Bounds(b, i -> b);
    }
}
