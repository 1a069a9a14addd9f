package dev.elfz.codec.prune;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.codec.Bounds;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.FloatValues;
import dev.elfz.codec.ValueCodec;
import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A pruned chunk (FORMAT.md, "prune chunks"): {@code u32 m} survivors, {@code u8} 1 if they are coded by the inner
 * codec (0: stored as they are), the keep bitmap (1 bit per value, packed LSB-first), then the survivors.
 * Survivors are numbered from 0 in each chunk, so an inner codec's groups never cross chunks.
 */
public final class PruneChunkCodec implements ChunkCodec {

    private static final int HEADER = Integer.BYTES + 1;
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Kernel kernel;
    private final ElfType type;
    private final Function<Codec, ValueCodec> codecs;
    private final Arena arena = Arena.ofShared(); // pooled instances move between threads
    private final Map<Codec, ChunkCodec> inners = new EnumMap<>(Codec.class);
    private ChunkCodec lastInner; // the codec of the last encoded chunk's survivors, if they were coded
    private MemorySegment mask = MemorySegment.NULL;
    private MemorySegment survivors = MemorySegment.NULL;
    private MemorySegment coded = MemorySegment.NULL;

    /** @param codecs the value codec of each id, for the survivors' */
    public PruneChunkCodec(Kernel kernel, ElfType type, Function<Codec, ValueCodec> codecs) {
        this.kernel = kernel;
        this.type = type;
        this.codecs = codecs;
    }

    @Override
    public long encode(CodecParams params, MemorySegment src, long first, MemorySegment dst) {
        PruneParams p = (PruneParams) params;
        int vb = type.valueBytes();
        long n = src.byteSize() / vb;
        MemorySegment keep = grow(0, n);
        MemorySegment kept = grow(1, n * vb);
        long m = 0;
        for (long i = 0; i < n; i++) {
            boolean k = p.keeps(FloatValues.magnitude(type, src, i));
            keep.set(ValueLayout.JAVA_BYTE, i, (byte) (k ? 1 : 0));
            if (k) {
                MemorySegment.copy(src, i * vb, kept, m++ * vb, vb);
            }
        }
        long header = HEADER + Kernel.packedBytes(n, 1);
        MemorySegment values = kept.asSlice(0, m * vb);
        long innerBytes = -1;
        lastInner = null;
        MemorySegment out =
                grow(2, p.inner() == Codec.RAW ? 0 : inner(p.inner()).encodedBound(m * vb));
        if (p.inner() != Codec.RAW && m > 0) {
            innerBytes = inner(p.inner()).encode(p.innerParams(), values, 0, out);
            lastInner = innerBytes >= 0 ? inner(p.inner()) : null;
        }
        boolean isCoded = innerBytes >= 0;
        long body = isCoded ? innerBytes : m * vb;
        if (!isCoded && header + body >= src.byteSize()) {
            return -1; // coded survivors may only shrink in the entropy stage, which decides for them
        }
        dst.set(U32, 0, (int) m);
        dst.set(ValueLayout.JAVA_BYTE, Integer.BYTES, (byte) (isCoded ? 1 : 0));
        kernel.packBits(keep, n, 1, dst.asSlice(HEADER));
        MemorySegment.copy(isCoded ? out : values, 0, dst, header, body);
        return header + body;
    }

    /** A pruned chunk's parts: survivor count, whether they are coded, and their bytes. */
    public record Parts(long survivors, boolean coded, MemorySegment body) {}

    /** Splits a pruned chunk of {@code n} values, checking its header. */
    public static Parts parts(MemorySegment stored, long n, ElfType type) {
        int vb = type.valueBytes();
        long header = HEADER + Kernel.packedBytes(n, 1);
        if (stored.byteSize() < header) {
            throw new CorruptDataException("a pruned chunk of " + n + " values is shorter than its bitmap");
        }
        long m = Integer.toUnsignedLong(stored.get(U32, 0));
        int flag = stored.get(ValueLayout.JAVA_BYTE, Integer.BYTES);
        MemorySegment body = stored.asSlice(header);
        if (m > n || flag < 0 || flag > 1 || (flag == 0 && body.byteSize() != m * vb)) {
            throw new CorruptDataException("a pruned chunk of " + n + " values: " + m + " survivors, flag " + flag
                    + ", " + body.byteSize() + " bytes of them");
        }
        return new Parts(m, flag == 1, body);
    }

    /** The threshold for the values of chunk {@code stored} it drops, the survivors' bounds {@code inner} for the others. */
    static Bounds bounds(PruneParams p, MemorySegment stored, long n, Bounds inner) {
        long[] rank = new long[(int) n]; // survivor number of each kept value, -1 for a dropped one
        long m = 0;
        for (int i = 0; i < n; i++) {
            boolean kept = (stored.get(ValueLayout.JAVA_BYTE, HEADER + (i >>> 3)) >>> (i & 7) & 1) != 0;
            rank[i] = kept ? m++ : -1;
        }
        double threshold = p.threshold();
        return new Bounds(
                Math.max(threshold, inner.max()),
                i -> rank[(int) i] < 0 ? threshold : inner.at().applyAsDouble(rank[(int) i]));
    }

    @Override
    public void decode(CodecParams params, MemorySegment stored, long first, MemorySegment dst) {
        PruneParams p = (PruneParams) params;
        int vb = type.valueBytes();
        long n = dst.byteSize() / vb;
        Parts parts = parts(stored, n, type);
        long m = parts.survivors();
        int flag = parts.coded() ? 1 : 0;
        MemorySegment body = parts.body();
        MemorySegment keep = grow(0, n);
        kernel.unpackBits(stored.asSlice(HEADER), n, 1, keep);
        long ones = 0;
        for (long i = 0; i < n; i++) {
            ones += keep.get(ValueLayout.JAVA_BYTE, i);
        }
        if (ones != m) {
            throw new CorruptDataException("a pruned chunk's bitmap keeps " + ones + " values, its count says " + m);
        }
        MemorySegment values = grow(1, m * vb);
        if (flag == 1) {
            codedBy(p).decode(p.innerParams(), body, 0, values);
        } else {
            MemorySegment.copy(body, 0, values, 0, m * vb);
        }
        long j = 0;
        for (long i = 0; i < n; i++) {
            if (keep.get(ValueLayout.JAVA_BYTE, i) != 0) {
                MemorySegment.copy(values, j++ * vb, dst, i * vb, vb);
            } else {
                dst.asSlice(i * vb, vb).fill((byte) 0);
            }
        }
    }

    @Override
    public long exceptions() {
        return lastInner == null ? 0 : lastInner.exceptions();
    }

    /** The header and bitmap, then survivors coded by any inner codec (whose codes may outgrow their values). */
    @Override
    public long encodedBound(long original) {
        long n = original / type.valueBytes();
        return HEADER + Kernel.packedBytes(n, 1) + Integer.BYTES + 2 * original;
    }

    /** The header, the bitmap, then the survivors as their codec cuts them. */
    @Override
    public long[] sections(CodecParams params, MemorySegment encoded, long original, long first) {
        PruneParams p = (PruneParams) params;
        long n = original / type.valueBytes();
        Parts parts = parts(encoded, n, type);
        long header = HEADER + Kernel.packedBytes(n, 1);
        long[] inner = parts.coded()
                ? codedBy(p).sections(p.innerParams(), parts.body(), parts.survivors() * type.valueBytes(), 0)
                : new long[0];
        long[] cuts = new long[inner.length + 2];
        cuts[0] = HEADER;
        cuts[1] = header;
        for (int i = 0; i < inner.length; i++) {
            cuts[i + 2] = header + inner[i];
        }
        return cuts;
    }

    /** The inner codec of a chunk whose flag says its survivors are coded: never raw, which codes nothing. */
    private ChunkCodec codedBy(PruneParams p) {
        if (p.inner() == Codec.RAW) {
            throw new CorruptDataException(
                    "a pruned chunk's survivors are flagged as coded, but the inner codec is raw");
        }
        return inner(p.inner());
    }

    private ChunkCodec inner(Codec c) {
        return inners.computeIfAbsent(c, k -> codecs.apply(k).newChunkCodec(Dtype.valueOf(type.name()), kernel));
    }

    /** Scratch buffer {@code which} (0 mask, 1 survivors, 2 coded survivors) of at least {@code bytes}. */
    private MemorySegment grow(int which, long bytes) {
        MemorySegment s = which == 0 ? mask : which == 1 ? survivors : coded;
        if (s.byteSize() < bytes) {
            s = arena.allocate(Math.max(bytes, 2 * s.byteSize()), 8);
            if (which == 0) {
                mask = s;
            } else if (which == 1) {
                survivors = s;
            } else {
                coded = s;
            }
        }
        return s.asSlice(0, bytes);
    }

    @Override
    public void close() {
        inners.values().forEach(ChunkCodec::close);
        arena.close();
    }
}
