package dev.elfz.codec.lossless;

import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.MemorySegment;

/**
 * Lossless float chunks (FORMAT.md, "lossless chunks"): each value rotated left by one bit (the sign to bit 0, so
 * the exponent fills the top byte), then split into byte planes. The bytes are only reordered; the entropy stage
 * codes the exponent plane (about 2.6 bits a value in real weights) and stores the mantissa planes, which are noise.
 */
public final class LosslessChunkCodec implements ChunkCodec {

    private final Kernel kernel;
    private final ElfType type;

    public LosslessChunkCodec(Kernel kernel, ElfType type) {
        this.kernel = kernel;
        this.type = type;
    }

    @Override
    public long encode(CodecParams params, MemorySegment src, long first, MemorySegment dst) {
        long n = values(src.byteSize());
        kernel.planesSplit(src, n, type.valueBytes(), true, dst);
        return src.byteSize();
    }

    @Override
    public void decode(CodecParams params, MemorySegment stored, long first, MemorySegment dst) {
        long n = values(dst.byteSize());
        if (stored.byteSize() != dst.byteSize()) {
            throw new CorruptDataException("a lossless chunk of " + n + " " + type + " values takes " + dst.byteSize()
                    + " bytes, not " + stored.byteSize());
        }
        kernel.planesJoin(stored, n, type.valueBytes(), true, dst);
    }

    /** One section per byte plane. */
    @Override
    public long[] sections(CodecParams params, MemorySegment encoded, long original, long first) {
        long n = values(original);
        long[] cuts = new long[type.valueBytes() - 1];
        for (int p = 1; p < type.valueBytes(); p++) {
            cuts[p - 1] = p * n;
        }
        return cuts;
    }

    private long values(long bytes) {
        long n = bytes / type.valueBytes();
        if (n * type.valueBytes() != bytes) {
            throw new IllegalArgumentException(bytes + " bytes is not a chunk of whole " + type + " values");
        }
        return n;
    }

    @Override
    public void close() {}
}
