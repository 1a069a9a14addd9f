package dev.elfz.codec.lossless;

import dev.elfz.Codec;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.ExactCodec;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;

/** Lossless floats: byte planes with the exponent on its own, for the entropy stage. */
public final class LosslessCodec implements ExactCodec {

    @Override
    public Codec id() {
        return Codec.LOSSLESS;
    }

    @Override
    public ChunkCodec chunkCodec(ElfType type, Kernel kernel) {
        return new LosslessChunkCodec(kernel, type);
    }
}
