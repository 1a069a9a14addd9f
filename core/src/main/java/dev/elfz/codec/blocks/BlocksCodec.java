package dev.elfz.codec.blocks;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.ExactCodec;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.util.Map;

/** Quantized blocks, lossless: each block field a byte plane for the entropy stage. U8 streams of whole blocks. */
public final class BlocksCodec implements ExactCodec {

    @Override
    public Codec id() {
        return Codec.BLOCKS;
    }

    @Override
    public boolean supports(Dtype dtype) {
        return dtype == Dtype.U8;
    }

    /** Chunks hold whole blocks, the last one too. */
    @Override
    public long wholeBytes(CodecParams params) {
        return ((BlockFields) params).blockBytes();
    }

    @Override
    public ChunkCodec chunkCodec(ElfType type, Kernel kernel) {
        return new BlocksChunkCodec();
    }

    @Override
    public CodecParams parseParams(Map<String, Object> params) {
        return BlockFields.fromIndex(params);
    }
}
