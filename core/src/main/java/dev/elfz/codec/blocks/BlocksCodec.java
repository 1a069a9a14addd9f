package dev.elfz.codec.blocks;

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

/** Quantized blocks, lossless: each block field a byte plane for the entropy stage. U8 streams of whole blocks. */
public final class BlocksCodec implements ValueCodec {

    @Override
    public Codec id() {
        return Codec.BLOCKS;
    }

    @Override
    public boolean supports(Dtype dtype) {
        return dtype == Dtype.U8;
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
    public int unitBytes(Dtype dtype) {
        return 1;
    }

    /** Chunks hold whole blocks. */
    @Override
    public long chunkUnit(Dtype dtype, CodecParams params) {
        return ((BlockFields) params).blockBytes();
    }

    @Override
    public ChunkCodec chunkCodec(ElfType type, Kernel kernel) {
        return new BlocksChunkCodec();
    }

    @Override
    public ChunkCodec newChunkCodec(Dtype dtype, Kernel kernel) {
        if (!supports(dtype)) {
            throw new IllegalArgumentException("codec " + id().id() + " does not handle " + dtype);
        }
        return new BlocksChunkCodec();
    }

    @Override
    public CodecParams parseParams(Map<String, Object> params) {
        return BlockFields.fromIndex(params);
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
