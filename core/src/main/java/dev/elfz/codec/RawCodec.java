package dev.elfz.codec;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;

/** The bytes as they are: every dtype, lossless, no chunk codec (its chunks are always stored). */
public final class RawCodec implements ExactCodec {

    @Override
    public Codec id() {
        return Codec.RAW;
    }

    @Override
    public boolean supports(Dtype dtype) {
        return true;
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
}
