package dev.elfz;

/** What the user asks for (--codec): one codec for every tensor it can handle, or elfz's choice per dtype. */
public enum CodecChoice {
    /**
     * ELF for F32 and F64 (2^-24 and 2^-53 are below training noise); lossless for F16 and BF16 (ELF would keep
     * only 11 or 8 bits of them); every other dtype as it is.
     */
    AUTO,
    /** ELF for every float dtype it handles (F32, F64, F16, BF16); the rest as it is. */
    ELF,
    /** Lossless for every float dtype, bit for bit; the rest as it is. */
    LOSSLESS,
    /** Everything as it is, no entropy stage. */
    RAW,
    /** Uniform quantization of the selected tensors ({@code LossyOptions}); the rest as AUTO. */
    UNIFORM,
    /** k-means quantization of the selected tensors; the rest as AUTO. */
    KMEANS;

    /** The value codec for a tensor of this dtype that quantization leaves out (or whose survivors it keeps). */
    public Codec codecFor(Dtype dtype) {
        if (dtype.elfType() == null || this == RAW) {
            return Codec.RAW;
        }
        return switch (this) {
            case ELF -> Codec.ELF;
            case LOSSLESS -> Codec.LOSSLESS;
            default -> dtype == Dtype.F32 || dtype == Dtype.F64 ? Codec.ELF : Codec.LOSSLESS;
        };
    }
}
