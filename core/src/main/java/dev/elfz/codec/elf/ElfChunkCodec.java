package dev.elfz.codec.elf;

import dev.elfz.codec.CodecParams;
import dev.elfz.codec.ExceptionChunkCodec;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.MemorySegment;

/**
 * ELF for one chunk of a float tensor (FORMAT.md, "elf chunks"): {@code u32 e}, the planar codes, then the
 * {@code e} exceptions as u32 positions relative to the chunk and the original values.
 */
public final class ElfChunkCodec extends ExceptionChunkCodec {

    private final Kernel kernel;

    public ElfChunkCodec(Kernel kernel, ElfType type) {
        super(type);
        this.kernel = kernel;
    }

    @Override
    protected String name() {
        return "elf";
    }

    @Override
    protected long codeBytes(CodecParams params, long n) {
        return type.codeBytes(n);
    }

    @Override
    protected int planes(CodecParams params) {
        return type.codeBits() / 8;
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
        return kernel.elfEncode(type, src, n, codes, excPos, excBits, excCap, 0);
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
        kernel.elfDecode(type, codes, n, dst, excPos, excBits, nExc, 0);
    }

    /** Bytes of a coded chunk of {@code n} values with {@code e} exceptions. */
    public long storedBytes(long n, long e) {
        return storedBytes(CodecParams.NONE, n, e);
    }

    /** The exception count of a coded chunk of {@code n} values that takes {@code stored} bytes, or -1 if none fits. */
    public long exceptions(long n, long stored) {
        return exceptions(type, n, stored);
    }

    /** As {@link #exceptions(long, long)}, without an instance: from the length of a chunk coded without entropy stage. */
    public static long exceptions(ElfType type, long n, long stored) {
        long rest = stored - Integer.BYTES - type.codeBytes(n);
        long each = Integer.BYTES + type.valueBytes();
        return rest < 0 || rest % each != 0 ? -1 : rest / each;
    }
}
