package dev.elfz.elf;

import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * ELF for one chunk of a float tensor (FORMAT.md, "elf chunks"): {@code u32 e}, the planar codes, then the
 * {@code e} exceptions as u32 positions relative to the chunk and the original values. Positions are local so
 * that a chunk decodes alone, wherever it lies in a tensor of any size.
 */
public final class ElfChunkCodec implements ChunkCodec {

    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Chunks hold fewer values than this, so that u32 positions and counts suffice. */
    public static final long MAX_VALUES = 1L << 32;

    private final Kernel kernel;
    private final ElfType type;
    private final Arena arena = Arena.ofShared(); // pooled instances move between threads
    private MemorySegment excPos = MemorySegment.NULL;
    private MemorySegment excBits = MemorySegment.NULL;
    private long excCap;

    public ElfChunkCodec(Kernel kernel, ElfType type) {
        this.kernel = kernel;
        this.type = type;
        grow(1024); // real weights have ~1e-5 exceptions; grows when a chunk has more
    }

    /** Bytes of a coded chunk of {@code n} values with {@code e} exceptions. */
    public long storedBytes(long n, long e) {
        return Integer.BYTES + type.codeBytes(n) + e * (Integer.BYTES + type.valueBytes());
    }

    /** The exception count of a coded chunk of {@code n} values that takes {@code stored} bytes, or -1 if none fits. */
    public long exceptions(long n, long stored) {
        return exceptions(type, n, stored);
    }

    /** As {@link #exceptions(long, long)}, without an instance (and its buffers): for listing an index. */
    public static long exceptions(ElfType type, long n, long stored) {
        long rest = stored - Integer.BYTES - type.codeBytes(n);
        long each = Integer.BYTES + type.valueBytes();
        return rest < 0 || rest % each != 0 ? -1 : rest / each;
    }

    @Override
    public long encode(CodecParams params, MemorySegment src, long first, MemorySegment dst) {
        long n = values(src.byteSize());
        long original = src.byteSize();
        if (storedBytes(n, 0) >= original) {
            return -1; // a chunk of one or two values: the header alone outweighs the saving
        }
        long codeBytes = type.codeBytes(n);
        MemorySegment codes = dst.asSlice(Integer.BYTES, codeBytes);
        long e = kernel.elfEncode(type, src, n, codes, excPos, excBits, excCap, 0);
        if (storedBytes(n, e) >= original) {
            return -1; // too many values outside (-1, 1): store the chunk as it is
        }
        if (e > excCap) { // rare: room for all of them, and again
            grow(Math.max(e, 2 * excCap));
            kernel.elfEncode(type, src, n, codes, excPos, excBits, excCap, 0);
        }
        dst.set(U32, 0, (int) e);
        long at = Integer.BYTES + codeBytes;
        for (long i = 0; i < e; i++) {
            dst.set(U32, at + i * Integer.BYTES, (int) excPos.getAtIndex(U64, i));
        }
        at += e * Integer.BYTES;
        MemorySegment.copy(excBits, 0, dst, at, e * type.valueBytes());
        return at + e * type.valueBytes();
    }

    @Override
    public void decode(CodecParams params, MemorySegment stored, long first, MemorySegment dst) {
        long n = values(dst.byteSize());
        if (stored.byteSize() < Integer.BYTES) {
            throw new CorruptDataException("an elf chunk of " + stored.byteSize() + " bytes has no exception count");
        }
        long e = Integer.toUnsignedLong(stored.get(U32, 0));
        if (e > n || stored.byteSize() != storedBytes(n, e)) {
            throw new CorruptDataException("an elf chunk of " + n + " " + type + " values with " + e
                    + " exceptions takes " + (e > n ? "at most " + storedBytes(n, n) : storedBytes(n, e))
                    + " bytes, not " + stored.byteSize());
        }
        if (e > excCap) {
            grow(Math.max(e, 2 * excCap));
        }
        long codeBytes = type.codeBytes(n);
        long at = Integer.BYTES + codeBytes;
        for (long i = 0; i < e; i++) {
            excPos.setAtIndex(U64, i, Integer.toUnsignedLong(stored.get(U32, at + i * Integer.BYTES)));
        }
        MemorySegment bits = stored.asSlice(at + e * Integer.BYTES, e * type.valueBytes());
        kernel.elfDecode(type, stored.asSlice(Integer.BYTES, codeBytes), n, dst, excPos, bits, e, 0);
    }

    private long values(long bytes) {
        long n = bytes / type.valueBytes();
        if (n * type.valueBytes() != bytes || n >= MAX_VALUES) {
            throw new IllegalArgumentException(bytes + " bytes is not a chunk of whole " + type + " values under 2^32");
        }
        return n;
    }

    private void grow(long cap) {
        excCap = cap;
        excPos = arena.allocate(cap * Long.BYTES, Long.BYTES);
        excBits = arena.allocate(cap * type.valueBytes(), Long.BYTES);
    }

    @Override
    public void close() {
        arena.close();
    }
}
