package dev.elfz.codec.grid;

import dev.elfz.codec.CodecParams;
import dev.elfz.codec.ExceptionChunkCodec;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.MemorySegment;

/**
 * A user error bound E on F32 and F64 tensors (FORMAT.md, "grid chunks"): every value goes to the nearest point of a
 * grid of step just under 2E, as zigzag u32 codes in four byte planes that the entropy stage codes; values the grid
 * cannot hold within E (NaN, Inf, huge) are exact exceptions. Layout as ELF's: {@code u32 e}, codes, exceptions.
 */
public final class GridChunkCodec extends ExceptionChunkCodec {

    private final Kernel kernel;

    public GridChunkCodec(Kernel kernel, ElfType type) {
        super(type);
        this.kernel = kernel;
    }

    @Override
    protected String name() {
        return "grid";
    }

    @Override
    protected long codeBytes(CodecParams params, long n) {
        return 4 * n;
    }

    /** The codes, and exceptions up to half the original's bytes: the entropy stage decides the rest. */
    @Override
    protected long limit(long original) {
        return Integer.BYTES + 4 * (original / type.valueBytes()) + original / 2;
    }

    @Override
    protected int planes(CodecParams params) {
        return 4;
    }

    @Override
    protected long encodeCodes(
            CodecParams params,
            MemorySegment src,
            long n,
            MemorySegment codes,
            MemorySegment excPos,
            MemorySegment excBits,
            long excCap) {
        GridParams p = (GridParams) params;
        return kernel.gridEncode(type, src, n, p.step(), p.errorBound(), codes, excPos, excBits, excCap, 0);
    }

    @Override
    protected void decodeCodes(
            CodecParams params,
            MemorySegment codes,
            long n,
            MemorySegment dst,
            MemorySegment excPos,
            MemorySegment excBits,
            long nExc) {
        GridParams p = (GridParams) params;
        kernel.gridDecode(type, codes, n, p.step(), dst, excPos, excBits, nExc, 0);
    }
}
