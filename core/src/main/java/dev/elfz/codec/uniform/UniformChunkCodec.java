package dev.elfz.codec.uniform;

import dev.elfz.Granularity;
import dev.elfz.codec.Bounds;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.FloatValues;
import dev.elfz.kernel.CorruptDataException;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Uniform quantization of a chunk (FORMAT.md, "uniform chunks"): the scale (float32) of every group the chunk
 * touches, their zero points (int8, unless symmetric), then the codes bit-packed at {@code bits} each.
 */
public final class UniformChunkCodec implements ChunkCodec {

    private final Kernel kernel;
    private final ElfType type;
    private final Arena arena = Arena.ofShared(); // pooled instances move between threads
    private MemorySegment codes = MemorySegment.NULL;
    private MemorySegment zeros = MemorySegment.NULL; // all 0: the zero points of a symmetric chunk

    public UniformChunkCodec(Kernel kernel, ElfType type) {
        this.kernel = kernel;
        this.type = type;
    }

    /** How a chunk of {@code n} values from index {@code first} splits into groups. */
    private record Layout(long groupSize, long offset, long base, long groups) {

        static Layout of(UniformParams p, long n, long first) {
            return switch (p.granularity()) {
                case TENSOR -> new Layout(Math.max(n, 1), 0, 0, n == 0 ? 0 : 1);
                case CHANNEL ->
                    new Layout(
                            p.groupSize(),
                            first % p.groupSize(),
                            first / p.groupSize(),
                            Kernel.groups(n, p.groupSize(), first % p.groupSize()));
                case GROUP -> new Layout(p.groupSize(), 0, 0, Kernel.groups(n, p.groupSize(), 0));
            };
        }
    }

    /** Bytes of a coded chunk of {@code n} values from index {@code first}. */
    public static long storedBytes(UniformParams p, long n, long first) {
        return Layout.of(p, n, first).groups() * p.groupBytes() + Kernel.packedBytes(n, p.bits());
    }

    /** The scales and zero points, then the codes. */
    @Override
    public long[] sections(CodecParams params, MemorySegment encoded, long original, long first) {
        UniformParams p = (UniformParams) params;
        return new long[] {Layout.of(p, original / type.valueBytes(), first).groups() * p.groupBytes()};
    }

    @Override
    public long encode(CodecParams params, MemorySegment src, long first, MemorySegment dst) {
        UniformParams p = (UniformParams) params;
        long n = src.byteSize() / type.valueBytes();
        long stored = storedBytes(p, n, first);
        if (stored >= src.byteSize()) {
            return -1;
        }
        Layout l = Layout.of(p, n, first);
        MemorySegment scales = dst.asSlice(0, l.groups() * Float.BYTES);
        MemorySegment zs = p.symmetric() ? zeros(l.groups()) : dst.asSlice(scales.byteSize(), l.groups());
        for (long g = 0; g < l.groups(); g++) {
            double lo;
            double hi;
            if (p.granularity() == Granularity.GROUP) { // the chunk holds the whole group
                long from = g * l.groupSize();
                long to = Math.min(n, from + l.groupSize());
                lo = Double.POSITIVE_INFINITY;
                hi = Double.NEGATIVE_INFINITY;
                for (long i = from; i < to; i++) {
                    double x = FloatValues.get(type, src, i);
                    lo = Math.min(lo, x);
                    hi = Math.max(hi, x);
                }
            } else {
                lo = p.lo()[(int) (l.base() + g)];
                hi = p.hi()[(int) (l.base() + g)];
            }
            if (UniformMath.unsafe(type, lo, hi, p.bits(), p.symmetric()) != null) {
                return -1; // stored exactly rather than outside the promise (the Planner keeps such tensors out)
            }
            float scale = UniformMath.scale((float) lo, (float) hi, p.bits(), p.symmetric());
            scales.setAtIndex(FloatValues.F32, g, scale);
            zs.set(ValueLayout.JAVA_BYTE, g, (byte) UniformMath.zero((float) hi, scale, p.bits(), p.symmetric()));
        }
        MemorySegment c = codes(n);
        kernel.quantize(type, src, n, l.groupSize(), l.offset(), scales, zs, p.bits(), c);
        long header = l.groups() * p.groupBytes();
        kernel.packBits(c, n, p.bits(), dst.asSlice(header));
        return stored;
    }

    @Override
    public void decode(CodecParams params, MemorySegment stored, long first, MemorySegment dst) {
        UniformParams p = (UniformParams) params;
        long n = dst.byteSize() / type.valueBytes();
        if (stored.byteSize() != storedBytes(p, n, first)) {
            throw new CorruptDataException("a uniform chunk of " + n + " values takes " + storedBytes(p, n, first)
                    + " bytes, not " + stored.byteSize());
        }
        Layout l = Layout.of(p, n, first);
        MemorySegment scales = stored.asSlice(0, l.groups() * Float.BYTES);
        MemorySegment zs = p.symmetric() ? zeros(l.groups()) : stored.asSlice(scales.byteSize(), l.groups());
        MemorySegment c = codes(n);
        kernel.unpackBits(stored.asSlice(l.groups() * p.groupBytes()), n, p.bits(), c);
        kernel.dequantize(type, c, n, l.groupSize(), l.offset(), scales, zs, p.bits(), dst);
    }

    /** Half the scale of each value's group: the error bound of the values of a coded chunk. */
    static Bounds bounds(UniformParams p, MemorySegment stored, long n, long first) {
        Layout l = Layout.of(p, n, first);
        if (stored.byteSize() < l.groups() * Float.BYTES) {
            throw new CorruptDataException("a uniform chunk of " + n + " values is shorter than its scales");
        }
        float max = 0;
        for (long g = 0; g < l.groups(); g++) {
            max = Math.max(max, stored.getAtIndex(FloatValues.F32, g));
        }
        return new Bounds(max / 2.0, i -> stored.getAtIndex(FloatValues.F32, (l.offset() + i) / l.groupSize()) / 2.0);
    }

    private MemorySegment codes(long n) {
        if (codes.byteSize() < n) {
            codes = arena.allocate(Math.max(n, 2 * codes.byteSize()));
        }
        return codes.asSlice(0, n);
    }

    private MemorySegment zeros(long groups) {
        if (zeros.byteSize() < groups) {
            zeros = arena.allocate(Math.max(groups, 2 * zeros.byteSize())); // allocate() zero-fills
        }
        return zeros.asSlice(0, groups);
    }

    @Override
    public void close() {
        arena.close();
    }
}
