package dev.elfz;

/**
 * The value codecs of the container, by the id written in its index (FORMAT.md). A tensor's chunks are
 * either coded with its codec or stored as they are (when coding would not shrink them). What each codec does lives
 * in its own package under {@code dev.elfz.codec}.
 */
public enum Codec {
    /** The bytes as they are: every dtype, lossless. */
    RAW("raw"),
    /** ELF (FORMAT.md): values within half an ulp of [1, 2), exceptions exact. */
    ELF("elf"),
    /** Uniform quantization, 1 to 8 bits, a scale and zero point per tensor, row or group. */
    UNIFORM("uniform"),
    /** Non-uniform quantization: indices into a k-means codebook of 2^bits float32 centroids. */
    KMEANS("kmeans"),
    /** Magnitude pruning (a keep bitmap) in front of one of the others. */
    PRUNE("prune"),
    /** Lossless floats: byte planes with the exponent on its own, for the entropy stage. */
    LOSSLESS("lossless"),
    /** A user error bound E: values on a grid of step just under 2E (F32 and F64). */
    GRID("grid"),
    /** Quantized blocks (GGUF's Q8_0, Q4_0, K-quants): each block field a byte plane for the entropy stage. */
    BLOCKS("blocks");

    private final String id;

    Codec(String id) {
        this.id = id;
    }

    /** The name in the index and on the command line. */
    public String id() {
        return id;
    }

    /** The codec of this id, or null. */
    public static Codec forId(String id) {
        for (Codec c : values()) {
            if (c.id.equals(id)) {
                return c;
            }
        }
        return null;
    }
}
