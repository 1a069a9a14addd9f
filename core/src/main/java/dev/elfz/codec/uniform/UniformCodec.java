package dev.elfz.codec.uniform;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.Granularity;
import dev.elfz.codec.Bounds;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.IdealRatio;
import dev.elfz.codec.TensorCheck;
import dev.elfz.codec.ValueCodec;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/** Uniform quantization, 1 to 8 bits, a scale and zero point per tensor, row or group. */
public final class UniformCodec implements ValueCodec {

    @Override
    public Codec id() {
        return Codec.UNIFORM;
    }

    /** Groups of G values are cut whole: each chunk finds its groups' ranges itself. */
    @Override
    public long chunkUnit(Dtype dtype, CodecParams params) {
        UniformParams u = (UniformParams) params;
        return unitBytes(dtype) * (u.granularity() == Granularity.GROUP ? u.groupSize() : 1);
    }

    /** Per channel: a chunk of survivors no longer knows the rows of its values. */
    @Override
    public String refusesPruning(CodecParams params) {
        return ((UniformParams) params).granularity() == Granularity.CHANNEL
                ? "per-channel quantization does not combine with pruning"
                : null;
    }

    @Override
    public ChunkCodec chunkCodec(ElfType type, Kernel kernel) {
        return new UniformChunkCodec(kernel, type);
    }

    @Override
    public CodecParams parseParams(Map<String, Object> params) {
        return UniformParams.fromIndex(params);
    }

    /** Half the scale of each value's group, read from the chunk's scales. */
    @Override
    public Bounds bounds(CodecParams params, Dtype dtype, MemorySegment coded, long n, long first) {
        return UniformChunkCodec.bounds((UniformParams) params, coded, n, first);
    }

    @Override
    public boolean boundsReadChunk() {
        return true;
    }

    /** {@link IdealRatio#uniform} with the tensor's groups. */
    @Override
    public double idealRatio(CodecParams params, long n, long kept, Dtype dtype) {
        UniformParams u = (UniformParams) params;
        return IdealRatio.uniform(n, u.bits(), (n + u.groupSize() - 1) / u.groupSize(), dtype.bits());
    }

    /** Each group's scale and zero point the formula's for its values ({@link UniformGroups}). */
    @Override
    public TensorCheck tensorCheck(CodecParams params, Dtype dtype) {
        return new UniformGroupCheck((UniformParams) params, dtype.elfType());
    }
}
