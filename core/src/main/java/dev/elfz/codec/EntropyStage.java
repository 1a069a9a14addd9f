package dev.elfz.codec;

import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The entropy stage behind a value codec (FORMAT.md, "entropy stage"): the codec's output is cut into the
 * sections it names ({@link ChunkCodec#sections}, its byte planes and headers), and each section is coded on its
 * own as an entropy plane ({@link Kernel#entropyEncode}: as it is, one repeated byte, or Huffman). Stored chunk:
 * {@code u8 k}, then {@code k} pairs of LEB128 varints (section bytes, coded bytes), then the {@code k} coded
 * sections. A chunk this does not make smaller than its original bytes is stored as it is by the container.
 */
public final class EntropyStage implements ChunkCodec {

    /** The index's name for this stage. */
    public static final String ID = "huffman";

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
        long header = 1;
        for (int i = 0; i < k; i++) { // a coded section takes at most its size + 1: room for that length's varint
            header += varintBytes(cuts[i + 1] - cuts[i]) + varintBytes(cuts[i + 1] - cuts[i] + 1);
        }
        long worst = header + length + k;
        MemorySegment out = dst.byteSize() >= worst ? dst : (framed = room(framed, worst));
        out.set(ValueLayout.JAVA_BYTE, 0, (byte) k);
        long at = header;
        long field = 1;
        for (int i = 0; i < k; i++) {
            long size = cuts[i + 1] - cuts[i];
            long n = kernel.entropyEncode(coded.asSlice(cuts[i], size), size, out.asSlice(at));
            field = putVarint(out, field, size, varintBytes(size));
            field = putVarint(out, field, n, varintBytes(size + 1));
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
        Frame f = Frame.parse(stored, stage != null ? stage.inner.encodedBound(original) : 4 * original + 64);
        MemorySegment out = stage != null
                ? (stage.scratch = room(stage.scratch, f.total(), stage.arena))
                : Arena.ofAuto().allocate(Math.max(1, f.total()));
        long at = f.header();
        long to = 0;
        for (int i = 0; i < f.raw().length; i++) {
            kernel.entropyDecode(stored.asSlice(at, f.coded()[i]), f.raw()[i], out.asSlice(to, f.raw()[i]));
            at += f.coded()[i];
            to += f.raw()[i];
        }
        return out.asSlice(0, f.total());
    }

    /** The first section of a stored chunk alone (a codec's header: counts read without decoding the rest). */
    public static MemorySegment firstSection(Kernel kernel, MemorySegment stored, long original) {
        Frame f = Frame.parse(stored, 4 * original + 64);
        MemorySegment out = Arena.ofAuto().allocate(Math.max(1, f.raw()[0]));
        kernel.entropyDecode(stored.asSlice(f.header(), f.coded()[0]), f.raw()[0], out);
        return out.asSlice(0, f.raw()[0]);
    }

    /** A stored chunk's section table: each section's bytes and coded bytes, the table's own size, the sum. */
    private record Frame(long[] raw, long[] coded, long header, long total) {

        /** Reads and checks the table against the chunk's size and the most bytes its codec can write. */
        static Frame parse(MemorySegment stored, long most) {
            long size = stored.byteSize();
            int k = size == 0 ? 0 : stored.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
            if (k == 0) {
                throw new CorruptDataException("an entropy-coded chunk of " + size + " bytes has no sections");
            }
            long[] raw = new long[k];
            long[] coded = new long[k];
            long[] at = {1};
            long total = 0;
            long sum = 0;
            for (int i = 0; i < k; i++) {
                raw[i] = varint(stored, at);
                coded[i] = varint(stored, at);
                total += raw[i];
                sum += coded[i];
                if (total > most || sum > size) {
                    throw new CorruptDataException("an entropy-coded chunk of " + size + " bytes lists sections of "
                            + total + " bytes coded in " + sum + " (more than the chunk can hold)");
                }
            }
            if (at[0] + sum != size) {
                throw new CorruptDataException("an entropy-coded chunk of " + size + " bytes lists " + k
                        + " sections coded in " + sum + " bytes after a table of " + at[0]);
            }
            return new Frame(raw, coded, at[0], total);
        }
    }

    /** Bytes of v as an LEB128 varint. */
    static int varintBytes(long v) {
        int n = 1;
        while ((v >>>= 7) != 0) {
            n++;
        }
        return n;
    }

    /** Writes v as an LEB128 varint of exactly {@code bytes} bytes (continuation bits pad it); returns the end. */
    private static long putVarint(MemorySegment out, long at, long v, int bytes) {
        for (int i = 0; i < bytes; i++) {
            out.set(ValueLayout.JAVA_BYTE, at + i, (byte) ((v & 0x7f) | (i < bytes - 1 ? 0x80 : 0)));
            v >>>= 7;
        }
        return at + bytes;
    }

    /** Reads an LEB128 varint of at most 9 bytes at {@code at[0]}, advancing it. */
    private static long varint(MemorySegment in, long[] at) {
        long v = 0;
        for (int i = 0; i < 9; i++) {
            if (at[0] >= in.byteSize()) {
                throw new CorruptDataException(
                        "an entropy-coded chunk of " + in.byteSize() + " bytes ends inside its section table");
            }
            int b = in.get(ValueLayout.JAVA_BYTE, at[0]++) & 0xff;
            v |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new CorruptDataException("an entropy-coded chunk's section table holds a length of more than 9 bytes");
    }

    @Override
    public long exceptions() {
        return inner.exceptions();
    }

    @Override
    public long encodedBound(long original) {
        return original;
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
        return Arrays.copyOf(cuts, k + 1);
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
