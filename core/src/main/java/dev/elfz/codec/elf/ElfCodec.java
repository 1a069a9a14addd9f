package dev.elfz.codec.elf;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.IdealRatio;
import dev.elfz.codec.ValueCheck;
import dev.elfz.codec.ValueCodec;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;

/** ELF (FORMAT.md): values within half an ulp of [1, 2) of the original, the others kept exactly (exceptions). */
public final class ElfCodec implements ValueCodec {

    @Override
    public Codec id() {
        return Codec.ELF;
    }

    /** Half an ulp of [1, 2) in the dtype's precision. */
    @Override
    public double errorBound(Dtype dtype) {
        return dtype.elfType().errorBound();
    }

    @Override
    public boolean keepsExceptions(CodecParams params) {
        return true;
    }

    @Override
    public ChunkCodec chunkCodec(ElfType type, Kernel kernel) {
        return new ElfChunkCodec(kernel, type);
    }

    /** Within the type's bound for |x| &lt; 1; every other value (|x| &gt;= 1, NaN, Inf) exact. */
    @Override
    public ValueCheck check(CodecParams params, Dtype dtype) {
        return (x, y, bound) -> Math.abs(x) >= 1 || !Double.isFinite(x)
                ? "should be exact (|x| >= 1, NaN or Inf)"
                : ValueCheck.within(x, y, bound);
    }

    /** {@code b / (m + 1)}: the sign and mantissa bits of each code (24 for float32), exceptions left out. */
    @Override
    public double idealRatio(CodecParams params, long n, long kept, Dtype dtype) {
        return IdealRatio.fixedWidth(dtype.bits(), dtype.elfType().codeBits()); // sign and mantissa: 24, 11, 8, 53
    }
}
