package dev.elfz.codec;

import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.ElfType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The chunk layout of the codecs that turn every value into a fixed-width code and keep the rest exact (ELF and
 * grid; FORMAT.md): {@code u32 e}, the planar codes, then the {@code e} exceptions as u32 positions relative to
 * the chunk and the original values. Positions are local so that a chunk decodes alone, wherever it lies.
 */
public abstract class ExceptionChunkCodec implements ChunkCodec {

    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Chunks hold fewer values than this, so that u32 positions and counts suffice. */
    public static final long MAX_VALUES = 1L << 32;

    protected final ElfType type;
    private final Arena arena = Arena.ofShared(); // pooled instances move between threads
    private MemorySegment excPos = MemorySegment.NULL;
    private MemorySegment excBits = MemorySegment.NULL;
    private long excCap;
    private long lastExceptions;

    protected ExceptionChunkCodec(ElfType type) {
        this.type = type;
        grow(1024); // real weights have ~1e-5 exceptions; grows when a chunk has more
    }

    /** The codec's name in messages. */
    protected abstract String name();

    /** Bytes of the planar codes of {@code n} values. */
    protected abstract long codeBytes(CodecParams params, long n);

    /** Bytes of each full byte plane of the codes ({@code n} each), the rest following them. */
    protected abstract int planes(CodecParams params);

    /** The kernel's encode: codes and exceptions, returning the exception count (see Kernel#elfEncode). */
    protected abstract long encodeCodes(
            CodecParams params,
            MemorySegment src,
            long n,
            MemorySegment codes,
            MemorySegment excPos,
            MemorySegment excBits,
            long excCap);

    /** The kernel's decode, exceptions patched in. */
    protected abstract void decodeCodes(
            CodecParams params,
            MemorySegment codes,
            long n,
            MemorySegment dst,
            MemorySegment excPos,
            MemorySegment excBits,
            long nExc);

    /**
     * Most bytes a coded chunk of {@code original} bytes may take, or the chunk is stored as it is: less than the
     * original for codes that are smaller than the values (ELF); codecs whose codes only the entropy stage makes
     * small allow more.
     */
    protected long limit(long original) {
        return original - 1;
    }

    @Override
    public long exceptions() {
        return lastExceptions;
    }

    @Override
    public long encodedBound(long original) {
        return Math.max(original, limit(original));
    }

    /** Bytes of a coded chunk of {@code n} values with {@code e} exceptions. */
    public long storedBytes(CodecParams params, long n, long e) {
        return Integer.BYTES + codeBytes(params, n) + e * (Integer.BYTES + type.valueBytes());
    }

    @Override
    public long encode(CodecParams params, MemorySegment src, long first, MemorySegment dst) {
        long n = values(src.byteSize());
        long original = src.byteSize();
        if (storedBytes(params, n, 0) > limit(original)) {
            return -1; // a chunk of one or two values: the header alone outweighs the saving
        }
        long codeBytes = codeBytes(params, n);
        MemorySegment codes = dst.asSlice(Integer.BYTES, codeBytes);
        lastExceptions = 0;
        long e = encodeCodes(params, src, n, codes, excPos, excBits, excCap);
        if (storedBytes(params, n, e) > limit(original)) {
            return -1; // too many exceptions: store the chunk as it is
        }
        if (e > excCap) { // rare: room for all of them, and again
            grow(Math.max(e, 2 * excCap));
            encodeCodes(params, src, n, codes, excPos, excBits, excCap);
        }
        dst.set(U32, 0, (int) e);
        lastExceptions = e;
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
            throw new CorruptDataException("a" + (name().startsWith("e") ? "n " : " ") + name() + " chunk of "
                    + stored.byteSize() + " bytes has no exception count");
        }
        long e = Integer.toUnsignedLong(stored.get(U32, 0));
        if (e > n || stored.byteSize() != storedBytes(params, n, e)) {
            throw new CorruptDataException("a" + (name().startsWith("e") ? "n " : " ") + name() + " chunk of " + n
                    + " " + type + " values with " + e + " exceptions takes "
                    + (e > n ? "at most " + storedBytes(params, n, n) : storedBytes(params, n, e))
                    + " bytes, not " + stored.byteSize());
        }
        if (e > excCap) {
            grow(Math.max(e, 2 * excCap));
        }
        long codeBytes = codeBytes(params, n);
        long at = Integer.BYTES + codeBytes;
        for (long i = 0; i < e; i++) {
            excPos.setAtIndex(U64, i, Integer.toUnsignedLong(stored.get(U32, at + i * Integer.BYTES)));
        }
        MemorySegment bits = stored.asSlice(at + e * Integer.BYTES, e * type.valueBytes());
        decodeCodes(params, stored.asSlice(Integer.BYTES, codeBytes), n, dst, excPos, bits, e);
    }

    /** The exception count, each byte plane of the codes, the rest of the codes, the exceptions. */
    @Override
    public long[] sections(CodecParams params, MemorySegment encoded, long original, long first) {
        long n = values(original);
        int planes = planes(params);
        long[] cuts = new long[planes + 2];
        for (int p = 0; p <= planes; p++) {
            cuts[p] = Integer.BYTES + p * n;
        }
        cuts[planes + 1] = Integer.BYTES + codeBytes(params, n);
        return cuts;
    }

    /** The exception count at the head of a coded chunk's bytes. */
    public static long exceptionCount(MemorySegment coded) {
        if (coded.byteSize() < Integer.BYTES) {
            throw new CorruptDataException("a coded chunk of " + coded.byteSize() + " bytes has no exception count");
        }
        return Integer.toUnsignedLong(coded.get(U32, 0));
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
