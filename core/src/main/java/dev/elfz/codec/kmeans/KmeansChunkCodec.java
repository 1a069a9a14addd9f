package dev.elfz.codec.kmeans;

import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.FloatValues;
import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A k-means chunk (FORMAT.md): the centroid indices bit-packed at {@code bits} each; the codebook is in the index. */
public final class KmeansChunkCodec implements ChunkCodec {

    private final Kernel kernel;
    private final ElfType type;
    private final Arena arena = Arena.ofShared(); // pooled instances move between threads
    private MemorySegment codes = MemorySegment.NULL;
    private final MemorySegment table;
    private KmeansParams tableOf; // whose codebook and bounds the table holds

    public KmeansChunkCodec(Kernel kernel, ElfType type) {
        this.kernel = kernel;
        this.type = type;
        this.table = arena.allocate(2 * 256 * Float.BYTES); // codebook, then bounds
    }

    @Override
    public long encode(CodecParams params, MemorySegment src, long first, MemorySegment dst) {
        KmeansParams p = load((KmeansParams) params);
        long n = src.byteSize() / type.valueBytes();
        long stored = Kernel.packedBytes(n, p.bits());
        if (stored >= src.byteSize()) {
            return -1;
        }
        MemorySegment c = codes(n);
        kernel.bucketize(type, src, n, table.asSlice(256 * Float.BYTES), p.codebook().length - 1, c);
        kernel.packBits(c, n, p.bits(), dst);
        return stored;
    }

    @Override
    public void decode(CodecParams params, MemorySegment stored, long first, MemorySegment dst) {
        KmeansParams p = load((KmeansParams) params);
        long n = dst.byteSize() / type.valueBytes();
        if (stored.byteSize() != Kernel.packedBytes(n, p.bits())) {
            throw new CorruptDataException("a " + p.bits() + "-bit k-means chunk of " + n + " values takes "
                    + Kernel.packedBytes(n, p.bits()) + " bytes, not " + stored.byteSize());
        }
        MemorySegment c = codes(n);
        kernel.unpackBits(stored, n, p.bits(), c);
        kernel.lookup(type, c, n, table, p.bits(), dst);
    }

    private KmeansParams load(KmeansParams p) {
        if (p != tableOf) {
            float[] cb = p.codebook();
            float[] b = p.bounds();
            for (int i = 0; i < cb.length; i++) {
                table.setAtIndex(FloatValues.F32, i, cb[i]);
            }
            for (int i = 0; i < b.length; i++) {
                table.setAtIndex(FloatValues.F32, 256 + i, b[i]);
            }
            tableOf = p;
        }
        return p;
    }

    private MemorySegment codes(long n) {
        if (codes.byteSize() < n) {
            codes = arena.allocate(Math.max(n, 2 * codes.byteSize()));
        }
        return codes.asSlice(0, n);
    }

    @Override
    public void close() {
        arena.close();
    }
}
