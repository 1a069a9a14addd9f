package dev.elfz;

import java.util.Locale;

/** What one scale and zero point of uniform quantization cover ({@link LossyOptions#granularity()}). */
public enum Granularity {
    /** The whole tensor. */
    TENSOR,
    /** One row of axis 0 (an output channel). */
    CHANNEL,
    /** A run of {@link LossyOptions#groupSize()} values along the last axis. */
    GROUP;

    /** The name in the index and on the command line. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
