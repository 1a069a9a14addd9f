package dev.elfz;

import dev.elfz.codec.elf.ElfChunkCodec;
import dev.elfz.codec.grid.GridChunkCodec;
import dev.elfz.codec.grid.GridParams;
import dev.elfz.codec.lossless.LosslessChunkCodec;
import dev.elfz.kernel.Kernel;
import dev.elfz.codec.kmeans.KmeansChunkCodec;
import dev.elfz.codec.kmeans.KmeansParams;
import dev.elfz.codec.prune.PruneChunkCodec;
import dev.elfz.codec.prune.PruneParams;
import dev.elfz.codec.uniform.UniformChunkCodec;
import dev.elfz.codec.uniform.UniformParams;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.function.LongToDoubleFunction;

/**
 * The value codecs of the container, by the id written in its index (FORMAT.md). A tensor's chunks are
 * either coded with its codec or stored as they are (when coding would not shrink them).
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
    GRID("grid");

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

    /** Raw handles every dtype; grid F32 and F64; the others the float types of the kernel (F32, F16, BF16, F64). */
    public boolean supports(Dtype dtype) {
        return switch (this) {
            case RAW -> true;
            case GRID -> dtype == Dtype.F32 || dtype == Dtype.F64;
            default -> dtype.elfType() != null;
        };
    }

    /** True when every chunk decodes to the original bytes. */
    public boolean lossless() {
        return this == RAW || this == LOSSLESS;
    }

    /**
     * The largest absolute difference between a decoded value in (-1, 1) and the original that the codec
     * promises for every tensor of this dtype: 0 for raw and lossless, half an ulp of [1, 2) for ELF; NaN for the
     * codecs whose bound depends on the tensor (grid: its params; uniform: half its largest scale; k-means and
     * pruning promise none).
     */
    public double errorBound(Dtype dtype) {
        return switch (this) {
            case RAW, LOSSLESS -> 0;
            case ELF -> dtype.elfType().errorBound();
            default -> Double.NaN;
        };
    }

    /** Whether chunks of this codec keep values exactly beside their codes (ELF, grid; pruning through them). */
    public boolean keepsExceptions(CodecParams params) {
        return switch (this) {
            case ELF, GRID -> true;
            case PRUNE -> ((PruneParams) params).inner().keepsExceptions(((PruneParams) params).innerParams());
            default -> false;
        };
    }

    /** Bytes of one value, the unit chunks are cut in (1 for the byte-stream codec). */
    public int unitBytes(Dtype dtype) {
        return this == RAW ? 1 : dtype.elfType().valueBytes();
    }

    /** A fresh chunk codec for tensors of this dtype; null for RAW, whose chunks are always stored. */
    public ChunkCodec newChunkCodec(Dtype dtype, Kernel kernel) {
        if (!supports(dtype)) {
            throw new IllegalArgumentException("codec " + id + " does not handle " + dtype);
        }
        return switch (this) {
            case RAW -> null;
            case ELF -> new ElfChunkCodec(kernel, dtype.elfType());
            case UNIFORM -> new UniformChunkCodec(kernel, dtype.elfType());
            case KMEANS -> new KmeansChunkCodec(kernel, dtype.elfType());
            case PRUNE -> new PruneChunkCodec(kernel, dtype.elfType());
            case LOSSLESS -> new LosslessChunkCodec(kernel, dtype.elfType());
            case GRID -> new GridChunkCodec(kernel, dtype.elfType());
        };
    }

    /**
     * The error bounds of a coded chunk's values.
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

    /**
     * The largest absolute error this coded chunk of {@code n} values from index {@code first} promises for each of
     * its values (the bound {@code elfz verify} checks, before the rounding to the dtype): ELF its type's (for
     * |x| &lt; 1), grid its bound, uniform half the scale of the value's group, pruning its threshold for the values
     * it drops and its survivors' codec's for the others; k-means promises no distance (infinity).
     */
    public Bounds bounds(CodecParams params, Dtype dtype, MemorySegment stored, long n, long first) {
        return switch (this) {
            case RAW, LOSSLESS -> Bounds.constant(0);
            case ELF -> Bounds.constant(dtype.elfType().errorBound());
            case GRID -> Bounds.constant(((GridParams) params).errorBound());
            case UNIFORM -> UniformChunkCodec.bounds((UniformParams) params, stored, n, first);
            case KMEANS -> Bounds.constant(Double.POSITIVE_INFINITY);
            case PRUNE -> PruneChunkCodec.bounds((PruneParams) params, dtype, stored, n);
        };
    }

    /** Whether {@link #bounds} reads the chunk's bytes (uniform's scales, pruning's header); the others need none. */
    public boolean boundReadsChunk() {
        return this == UNIFORM || this == PRUNE;
    }

    /**
     * The parameters an index gives this codec.
     *
     * @throws IllegalArgumentException when they are missing, unknown or out of range
     */
    public CodecParams parseParams(Map<String, Object> params) {
        Map<String, Object> p = params == null ? Map.of() : params;
        return switch (this) {
            case RAW, ELF, LOSSLESS -> {
                if (!p.isEmpty()) {
                    throw new IllegalArgumentException("codec " + id + " has no parameter " + p.keySet().iterator().next());
                }
                yield CodecParams.NONE;
            }
            case UNIFORM -> UniformParams.fromIndex(p);
            case KMEANS -> KmeansParams.fromIndex(p);
            case GRID -> GridParams.fromIndex(p);
            case PRUNE -> {
                Codec inner = p.get("inner") instanceof String s ? forId(s) : null;
                if (inner == null || inner == PRUNE || !(p.get("threshold_bits") instanceof Integer t)) {
                    throw new IllegalArgumentException("prune needs threshold_bits and an inner codec, not " + p);
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> ip = p.get("inner_params") instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
                CodecParams innerParams = inner.parseParams(ip);
                if (innerParams instanceof UniformParams u && u.granularity() == Granularity.CHANNEL) {
                    throw new IllegalArgumentException("per-channel quantization does not combine with pruning");
                }
                yield new PruneParams(Float.intBitsToFloat(t), inner, innerParams);
            }
        };
    }
}
