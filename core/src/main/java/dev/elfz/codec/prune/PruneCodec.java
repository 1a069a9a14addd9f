package dev.elfz.codec.prune;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.codec.Bounds;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.FloatValues;
import dev.elfz.codec.IdealRatio;
import dev.elfz.codec.TensorCheck;
import dev.elfz.codec.ValueCheck;
import dev.elfz.codec.ValueCodec;
import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.function.DoublePredicate;
import java.util.function.Function;

/**
 * Magnitude pruning (a keep bitmap; magnitudes compared in float32) in front of another value codec, its inner codec,
 * which codes the survivors.
 * The inner codecs come from {@code codecs} (the registry), so that this package names none of them.
 */
public final class PruneCodec implements ValueCodec {

    private final Function<Codec, ValueCodec> codecs;

    /** @param codecs the value codec of each id, for the inner codec */
    public PruneCodec(Function<Codec, ValueCodec> codecs) {
        this.codecs = codecs;
    }

    @Override
    public Codec id() {
        return Codec.PRUNE;
    }

    /** As its survivors' codec (the counts the index keeps are theirs). */
    @Override
    public boolean keepsExceptions(CodecParams params) {
        PruneParams p = (PruneParams) params;
        return codecs.apply(p.inner()).keepsExceptions(p.innerParams());
    }

    @Override
    public ChunkCodec chunkCodec(ElfType type, Kernel kernel) {
        return new PruneChunkCodec(kernel, type, codecs);
    }

    @Override
    public CodecParams parseParams(Map<String, Object> params) {
        Codec inner = params.get("inner") instanceof String s ? Codec.forId(s) : null;
        if (inner == null || inner == Codec.PRUNE || !(params.get("threshold_bits") instanceof Integer t)) {
            throw new IllegalArgumentException("prune needs threshold_bits and an inner codec, not " + params);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> ip = params.get("inner_params") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        ValueCodec innerCodec = codecs.apply(inner);
        CodecParams innerParams = innerCodec.parseParams(ip);
        String refused = innerCodec.refusesPruning(innerParams);
        if (refused != null) {
            throw new IllegalArgumentException(refused);
        }
        return new PruneParams(Float.intBitsToFloat(t), inner, innerParams);
    }

    @Override
    public String refuses(CodecParams params, Dtype dtype) {
        Codec inner = ((PruneParams) params).inner();
        return codecs.apply(inner).supports(dtype)
                ? null
                : "prune's inner codec " + inner.id() + " does not handle " + dtype;
    }

    /** Its threshold for the values a coded chunk drops, its survivors' codec's bound for the others. */
    @Override
    public Bounds bounds(CodecParams params, Dtype dtype, MemorySegment coded, long n, long first) {
        PruneParams p = (PruneParams) params;
        PruneChunkCodec.Parts parts = PruneChunkCodec.parts(coded, n, dtype.elfType());
        Bounds inner = parts.coded()
                ? codecs.apply(p.inner()).bounds(p.innerParams(), dtype, parts.body(), parts.survivors(), 0)
                : Bounds.constant(0);
        return PruneChunkCodec.bounds(p, coded, n, inner);
    }

    @Override
    public boolean boundsReadChunk() {
        return true;
    }

    /** A dropped value within the threshold of +0 (an ulp of rounding allowed); a survivor as its codec promises. */
    @Override
    public ValueCheck check(CodecParams params, Dtype dtype) {
        PruneParams p = (PruneParams) params;
        ElfType type = dtype.elfType();
        ValueCheck survivor = codecs.apply(p.inner()).check(p.innerParams(), dtype);
        return (x, y, bound) ->
                p.keeps(Math.abs((float) x)) ? survivor.outside(x, y, bound) : FloatValues.outside(type, x, y, bound);
    }

    /**
     * The survivors' codec's check, on the values it coded (the survivors); none when that check reads coded bytes,
     * which sit inside pruning's own chunk format.
     */
    @Override
    public TensorCheck tensorCheck(CodecParams params, Dtype dtype) {
        PruneParams p = (PruneParams) params;
        TensorCheck inner = codecs.apply(p.inner()).tensorCheck(p.innerParams(), dtype);
        if (inner == null || inner.readsCoded()) {
            return null;
        }
        return new TensorCheck() {
            @Override
            public Part part(
                    MemorySegment original, long first, MemorySegment coded, boolean last, DoublePredicate coding)
                    throws CorruptDataException {
                return inner.part(original, first, null, last, x -> coding.test(x) && p.keeps(Math.abs((float) x)));
            }

            @Override
            public String follow(Part part) {
                return inner.follow(part);
            }

            @Override
            public String finish() {
                return inner.finish();
            }
        };
    }

    /** {@link IdealRatio#pruned}: the survivors at their codec's own ideal size, plus the bitmap. */
    @Override
    public double idealRatio(CodecParams params, long n, long kept, Dtype dtype) {
        PruneParams p = (PruneParams) params;
        double innerBits = kept == 0
                ? 0
                : kept * dtype.bits() / codecs.apply(p.inner()).idealRatio(p.innerParams(), kept, kept, dtype);
        return IdealRatio.pruned(n, innerBits, dtype.bits());
    }

    /** The survivor count at the head of a pruned chunk. */
    @Override
    public long keptValues(MemorySegment head, long n) {
        if (head.byteSize() < Integer.BYTES) {
            throw new CorruptDataException("its header is " + head.byteSize() + " bytes");
        }
        return Integer.toUnsignedLong(head.get(PruneChunkCodec.U32, 0));
    }

    @Override
    public boolean keptReadsChunk() {
        return true;
    }
}
