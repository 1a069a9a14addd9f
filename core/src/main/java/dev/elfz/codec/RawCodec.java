package dev.elfz.codec;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/** The bytes as they are: every dtype, lossless, no chunk codec (its chunks are always stored). */
public final class RawCodec implements ValueCodec {

    @Override
    public Codec id() {
        return Codec.RAW;
    }

    @Override
    public boolean supports(Dtype dtype) {
        return true;
    }

    @Override
    public boolean lossless() {
        return true;
    }

    @Override
    public double errorBound(Dtype dtype) {
        return 0;
    }

    /** Chunks are cut in bytes: a raw stream may hold any dtype, or none (headers, blobs). */
    @Override
    public int unitBytes(Dtype dtype) {
        return 1;
    }

    @Override
    public ChunkCodec chunkCodec(ElfType type, Kernel kernel) {
        return null;
    }

    @Override
    public CodecParams parseParams(Map<String, Object> params) {
        return ValueCodec.noParams(id(), params);
    }

    @Override
    public Bounds bounds(CodecParams params, Dtype dtype, MemorySegment coded, long n, long first) {
        return Bounds.constant(0);
    }

    @Override
    public double idealRatio(CodecParams params, long n, long kept, Dtype dtype) {
        return 1;
    }
}
