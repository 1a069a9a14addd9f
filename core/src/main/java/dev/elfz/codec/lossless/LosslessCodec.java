package dev.elfz.codec.lossless;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.codec.Bounds;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.ValueCodec;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/** Lossless floats: byte planes with the exponent on its own, for the entropy stage. */
public final class LosslessCodec implements ValueCodec {

    @Override
    public Codec id() {
        return Codec.LOSSLESS;
    }

    /** The float types of the kernel: F32, F64, F16, BF16. */
    @Override
    public boolean supports(Dtype dtype) {
        return dtype.elfType() != null;
    }

    @Override
    public boolean lossless() {
        return true;
    }

    @Override
    public double errorBound(Dtype dtype) {
        return 0;
    }

    @Override
    public ChunkCodec chunkCodec(ElfType type, Kernel kernel) {
        return new LosslessChunkCodec(kernel, type);
    }

    @Override
    public CodecParams parseParams(Map<String, Object> params) {
        return ValueCodec.noParams(id(), params);
    }

    @Override
    public Bounds bounds(CodecParams params, Dtype dtype, MemorySegment coded, long n, long first) {
        return Bounds.constant(0);
    }

    /** 1: it only reorders bytes, all its gain is the entropy stage's. */
    @Override
    public double idealRatio(CodecParams params, long n, long kept, Dtype dtype) {
        return 1;
    }
}
