package dev.elfz.codec.grid;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.IdealRatio;
import dev.elfz.codec.ValueCheck;
import dev.elfz.codec.ValueCodec;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.util.Map;

/** A user's error bound E: values on a grid of step just under 2E, the few a grid point would miss kept exactly. */
public final class GridCodec implements ValueCodec {

    @Override
    public Codec id() {
        return Codec.GRID;
    }

    /** F32 and F64: the narrower floats' own precision is coarser than a useful bound. */
    @Override
    public boolean supports(Dtype dtype) {
        return dtype == Dtype.F32 || dtype == Dtype.F64;
    }

    @Override
    public double errorBound(Dtype dtype, CodecParams params) {
        return ((GridParams) params).errorBound();
    }

    @Override
    public boolean keepsExceptions(CodecParams params) {
        return true;
    }

    @Override
    public ChunkCodec chunkCodec(ElfType type, Kernel kernel) {
        return new GridChunkCodec(kernel, type);
    }

    @Override
    public CodecParams parseParams(Map<String, Object> params) {
        return GridParams.fromIndex(params);
    }

    /** The user's bound exactly, with no ulp of rounding: the kernel checked every value against it. */
    @Override
    public ValueCheck check(CodecParams params, Dtype dtype) {
        return (x, y, bound) -> !Double.isFinite(x) ? "should be exact (NaN or Inf)" : ValueCheck.within(x, y, bound);
    }

    /** {@code b / 32}: u32 codes before the entropy stage. */
    @Override
    public double idealRatio(CodecParams params, long n, long kept, Dtype dtype) {
        return IdealRatio.fixedWidth(dtype.bits(), 32);
    }
}
