package dev.elfz.codec;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/**
 * A value codec of the container, as a plug-in: everything the container, {@code elfz info} and {@code elfz verify}
 * ask of one codec, answered in the codec's own package. Each codec is listed once in
 * {@code dev.elfz.codec.registry.Codecs}, by its id in {@link Codec}.
 */
public interface ValueCodec {

    /** The id written in the index. */
    Codec id();

    /** Whether it codes tensors of this dtype: by default the float types of the kernel (F32, F64, F16, BF16). */
    default boolean supports(Dtype dtype) {
        return dtype.elfType() != null;
    }

    /** True when every chunk decodes to the original bytes. */
    default boolean lossless() {
        return false;
    }

    /**
     * The largest absolute difference between a decoded value in (-1, 1) and the original that the codec promises
     * for every tensor of this dtype; NaN when the bound depends on the tensor (its params or chunks) or there is none.
     */
    default double errorBound(Dtype dtype) {
        return Double.NaN;
    }

    /** As {@link #errorBound(Dtype)}, for a tensor with these params (grid: the user's bound). */
    default double errorBound(Dtype dtype, CodecParams params) {
        return errorBound(dtype);
    }

    /** Whether its chunks keep values exactly beside their codes, counted in the index (ELF, grid). */
    default boolean keepsExceptions(CodecParams params) {
        return false;
    }

    /** Bytes of one value, the unit chunks are cut in. */
    default int unitBytes(Dtype dtype) {
        return (dtype.bits() + 7) / 8;
    }

    /**
     * Bytes that every chunk of a tensor with these params holds a whole number of, its last chunk too (blocks: one
     * quantized block); 1 when a chunk may end after any value.
     */
    default long wholeBytes(CodecParams params) {
        return 1;
    }

    /** The unit a tensor with these params is cut in: whole values, or what the params need whole in a chunk. */
    default long chunkUnit(Dtype dtype, CodecParams params) {
        return unitBytes(dtype) * wholeBytes(params);
    }

    /** A fresh chunk codec for values of this type (one of a supported dtype); null when chunks are always stored. */
    ChunkCodec chunkCodec(ElfType type, Kernel kernel);

    /**
     * A fresh chunk codec for tensors of this dtype.
     *
     * @throws IllegalArgumentException when the codec does not handle the dtype
     */
    default ChunkCodec newChunkCodec(Dtype dtype, Kernel kernel) {
        if (!supports(dtype)) {
            throw new IllegalArgumentException("codec " + id().id() + " does not handle " + dtype);
        }
        return chunkCodec(dtype.elfType(), kernel);
    }

    /**
     * The parameters an index gives this codec (never null: an empty map when it gives none); by default none, any
     * given refused.
     *
     * @throws IllegalArgumentException when they are missing, unknown or out of range
     */
    default CodecParams parseParams(Map<String, Object> params) {
        if (!params.isEmpty()) {
            throw new IllegalArgumentException("codec " + id().id() + " has no parameter "
                    + params.keySet().iterator().next());
        }
        return CodecParams.NONE;
    }

    /** Why parsed params do not fit tensors of this dtype (pruning: its inner codec does not handle it); null if they do. */
    default String refuses(CodecParams params, Dtype dtype) {
        return null;
    }

    /** Why these params cannot code the survivors of pruning (numbered from 0 in each chunk); null when they can. */
    default String refusesPruning(CodecParams params) {
        return null;
    }

    /**
     * The largest absolute error this coded chunk of {@code n} values from index {@code first} promises for each of
     * its values (the bound {@code elfz verify} checks, before the rounding to the dtype).
     *
     * <p>By default the tensor's {@link #errorBound(Dtype, CodecParams)} for every value: codecs whose bound is not the
     * same for all (or that promise none) say theirs.
     *
     * @param coded the value codec's bytes of the chunk when {@link #boundsReadChunk} (else not read)
     */
    default Bounds bounds(CodecParams params, Dtype dtype, MemorySegment coded, long n, long first) {
        return Bounds.constant(errorBound(dtype, params));
    }

    /** Whether {@link #bounds} reads the chunk's bytes; the others need none. */
    default boolean boundsReadChunk() {
        return false;
    }

    /** What {@code elfz verify} checks of a decoded value that differs from the original ({@link ValueCheck}). */
    default ValueCheck check(CodecParams params, Dtype dtype) {
        ElfType type = dtype.elfType();
        return (x, y, bound) -> FloatValues.outside(type, x, y, bound);
    }

    /** What {@code elfz verify} checks of a whole tensor (a fresh one per tensor), or null when the values are all. */
    default TensorCheck tensorCheck(CodecParams params, Dtype dtype) {
        return null;
    }

    /**
     * The ideal ratio of a tensor of {@code n} values of {@code valueBits} bits ({@link IdealRatio}): its size over
     * the codec's codes alone, without entropy stage, chunking or index.
     *
     * @param kept the values left to code: {@code n}, or the survivors of pruning ({@link #keptValues})
     */
    double idealRatio(CodecParams params, long n, long kept, Dtype dtype);

    /**
     * The values a coded chunk of {@code n} values codes, from the first section of its value codec's bytes when
     * {@link #keptReadsChunk}: {@code n}, or the survivors of pruning.
     */
    default long keptValues(MemorySegment head, long n) {
        return n;
    }

    /** Whether {@link #keptValues} reads the chunk. */
    default boolean keptReadsChunk() {
        return false;
    }
}
