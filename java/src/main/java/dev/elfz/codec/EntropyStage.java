package dev.elfz.codec;

import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The entropy stage behind a value codec (FORMAT.md, "entropy stage"): the codec's output is cut into the
 * sections it names ({@link ChunkCodec#sections}, its byte planes and headers), and each section is coded on its
 * own as an entropy plane ({@link Kernel#entropyEncode}: as it is, one repeated byte, or Huffman). Stored chunk:
 * {@code u8 k}, then {@code k} pairs {@code (u32 section bytes, u32 coded bytes)}, then the {@code k} coded
 * sections. A chunk this does not make smaller than its original bytes is stored as it is by the container.
 */
public final class EntropyStage implements ChunkCodec {

    /** The index's name for this stage. */
    public static final String ID = "huffman";

    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_SECTIONS = 255;

    private final ChunkCodec inner;
    private final Kernel kernel;
    private final Arena arena = Arena.ofShared(); // pooled instances move between threads
    private MemorySegment scratch = MemorySegment.NULL; // the value codec's bytes
    private MemorySegment framed = MemorySegment.NULL; // coded sections when dst is too small for the worst case

    public EntropyStage(ChunkCodec inner, Kernel kernel) {
        this.inner = inner;
        this.kernel = kernel;
    }

    @Override
    public long encode(CodecParams params, MemorySegment src, long first, MemorySegment dst) {
        scratch = room(scratch, inner.encodedBound(src.byteSize()));
        long length = inner.encode(params, src, first, scratch);
        if (length < 0) {
            return -1;
        }
        MemorySegment coded = scratch.asSlice(0, length);
        long[] cuts = cuts(inner.sections(params, coded, src.byteSize(), first), length);
        int k = cuts.length - 1;
        long header = 1 + 8L * k;
        long worst = header + length + k;
        MemorySegment out = dst.byteSize() >= worst ? dst : (framed = room(framed, worst));
        out.set(ValueLayout.JAVA_BYTE, 0, (byte) k);
        long at = header;
        for (int i = 0; i < k; i++) {
            long size = cuts[i + 1] - cuts[i];
            long n = kernel.entropyEncode(coded.asSlice(cuts[i], size), size, out.asSlice(at));
            out.set(U32, 1 + 8L * i, (int) size);
            out.set(U32, 5 + 8L * i, (int) n);
            at += n;
        }
        if (at >= src.byteSize()) {
            return -1;
        }
        if (out != dst) {
            MemorySegment.copy(out, 0, dst, 0, at);
        }
        return at;
    }

    @Override
    public void decode(CodecParams params, MemorySegment stored, long first, MemorySegment dst) {
        MemorySegment body = unframe(kernel, stored, dst.byteSize(), this);
        inner.decode(params, body, first, dst);
    }

    /**
     * The value codec's bytes of a stored chunk whose original is {@code original} bytes, decoded into the
     * scratch buffer of {@code stage} (or a fresh one when it is null).
     */
    public static MemorySegment unframe(Kernel kernel, MemorySegment stored, long original, EntropyStage stage) {
        long total = checkFrame(stored, original, stage != null ? stage.inner.encodedBound(original) : 4 * original + 64);
        int k = stored.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
        long header = 1 + 8L * k;
        MemorySegment out = stage != null ? (stage.scratch = room(stage.scratch, total, stage.arena))
                : Arena.ofAuto().allocate(Math.max(1, total));
        long at = header;
        long to = 0;
        for (int i = 0; i < k; i++) {
            long n = Integer.toUnsignedLong(stored.get(U32, 1 + 8L * i));
            long c = Integer.toUnsignedLong(stored.get(U32, 5 + 8L * i));
            kernel.entropyDecode(stored.asSlice(at, c), n, out.asSlice(to, n));
            at += c;
            to += n;
        }
        return out.asSlice(0, total);
    }

    /** The first section of a stored chunk alone (a codec's header: counts read without decoding the rest). */
    public static MemorySegment firstSection(Kernel kernel, MemorySegment stored, long original) {
        checkFrame(stored, original, 4 * original + 64);
        int k = stored.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
        long n = Integer.toUnsignedLong(stored.get(U32, 1));
        long c = Integer.toUnsignedLong(stored.get(U32, 5));
        MemorySegment out = Arena.ofAuto().allocate(Math.max(1, n));
        kernel.entropyDecode(stored.asSlice(1 + 8L * k, c), n, out);
        return out.asSlice(0, n);
    }

    /**
     * Checks a stored chunk's section table against its size and the most bytes its codec can have written for a
     * chunk of {@code original} bytes; returns the bytes of the sections decoded.
     */
    private static long checkFrame(MemorySegment stored, long original, long most) {
        long size = stored.byteSize();
        int k = size == 0 ? 0 : stored.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
        long header = 1 + 8L * k;
        if (k == 0 || size < header) {
            throw new CorruptDataException("an entropy-coded chunk of " + size + " bytes has no room for "
                    + (k == 0 ? "its sections" : k + " section lengths"));
        }
        long total = 0;
        long coded = header;
        for (int i = 0; i < k; i++) {
            total += Integer.toUnsignedLong(stored.get(U32, 1 + 8L * i));
            coded += Integer.toUnsignedLong(stored.get(U32, 5 + 8L * i));
        }
        if (total > most || coded != size) {
            throw new CorruptDataException("an entropy-coded chunk of " + size + " bytes lists sections of "
                    + total + " bytes coded in " + (coded - header) + " (a chunk of " + original + " bytes)");
        }
        return total;
    }

    @Override
    public long exceptions() {
        return inner.exceptions();
    }

    @Override
    public long encodedBound(long original) {
        return original;
    }

    @Override
    public long[] sections(CodecParams params, MemorySegment encoded, long original, long first) {
        return inner.sections(params, encoded, original, first);
    }

    /** 0, the codec's cuts that lie strictly inside (0, length) in increasing order, then length. */
    private static long[] cuts(long[] inside, long length) {
        long[] cuts = new long[Math.min(inside.length, MAX_SECTIONS - 1) + 2];
        int k = 1;
        for (long c : inside) {
            if (c > cuts[k - 1] && c < length && k < cuts.length - 1) {
                cuts[k++] = c;
            }
        }
        cuts[k] = length;
        return java.util.Arrays.copyOf(cuts, k + 1);
    }

    private MemorySegment room(MemorySegment s, long bytes) {
        return room(s, bytes, arena);
    }

    private static MemorySegment room(MemorySegment s, long bytes, Arena arena) {
        return s.byteSize() >= bytes ? s : arena.allocate(Math.max(bytes, 2 * s.byteSize()), 64);
    }

    @Override
    public void close() {
        inner.close();
        arena.close();
    }
}
