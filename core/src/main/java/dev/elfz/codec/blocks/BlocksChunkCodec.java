package dev.elfz.codec.blocks;

import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.kernel.CorruptDataException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Quantized blocks as byte planes (FORMAT.md, "blocks"): field {@code f} of every block of the chunk, in block order,
 * then field {@code f + 1}. The bytes are only reordered, as lossless floats are: scales, mins and quants each get
 * their own statistics in the entropy stage, which stores a plane that does not shrink as it is.
 */
final class BlocksChunkCodec implements ChunkCodec {

    private byte[] in = new byte[0];
    private byte[] out = new byte[0];

    @Override
    public long encode(CodecParams params, MemorySegment src, long first, MemorySegment dst) {
        BlockFields f = (BlockFields) params;
        int size = blocks(f, src.byteSize(), "a chunk of ");
        byte[] a = load(src, size);
        byte[] b = room(size);
        int n = size / f.blockBytes();
        int field = 0;
        int plane = 0;
        for (int w : f.widths()) {
            gather(a, field, f.blockBytes(), w, n, b, plane);
            field += w;
            plane += n * w;
        }
        MemorySegment.copy(b, 0, dst, ValueLayout.JAVA_BYTE, 0, size);
        return size;
    }

    @Override
    public void decode(CodecParams params, MemorySegment stored, long first, MemorySegment dst) {
        BlockFields f = (BlockFields) params;
        int size;
        try {
            size = blocks(f, dst.byteSize(), "a stream of ");
        } catch (IllegalArgumentException e) {
            throw new CorruptDataException(e.getMessage());
        }
        if (stored.byteSize() != size) {
            throw new CorruptDataException("a blocks chunk of " + size + " bytes is stored in " + stored.byteSize());
        }
        byte[] a = load(stored, size);
        byte[] b = room(size);
        int n = size / f.blockBytes();
        int field = 0;
        int plane = 0;
        for (int w : f.widths()) {
            scatter(a, plane, w, n, b, field, f.blockBytes());
            field += w;
            plane += n * w;
        }
        MemorySegment.copy(b, 0, dst, ValueLayout.JAVA_BYTE, 0, size);
    }

    /** One section per field's plane. */
    @Override
    public long[] sections(CodecParams params, MemorySegment encoded, long original, long first) {
        BlockFields f = (BlockFields) params;
        long n = original / f.blockBytes();
        int[] w = f.widths();
        long[] cuts = new long[w.length - 1];
        long at = 0;
        for (int i = 0; i < cuts.length; i++) {
            at += n * w[i];
            cuts[i] = at;
        }
        return cuts;
    }

    /** The chunk's size, checked to be whole blocks that fit an array. */
    private static int blocks(BlockFields f, long bytes, String what) {
        if (bytes % f.blockBytes() != 0 || bytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(what + bytes + " bytes is not whole blocks of " + f.blockBytes());
        }
        return (int) bytes;
    }

    /** Field bytes [at, at + w) of each of n blocks of {@code block} bytes, to the plane at {@code to}. */
    private static void gather(byte[] a, int at, int block, int w, int n, byte[] b, int to) {
        if (w == 1) {
            for (int i = 0, j = at; i < n; i++, j += block) {
                b[to + i] = a[j];
            }
        } else {
            for (int i = 0, j = at; i < n; i++, j += block) {
                System.arraycopy(a, j, b, to + i * w, w);
            }
        }
    }

    /** The inverse of {@link #gather}. */
    private static void scatter(byte[] a, int from, int w, int n, byte[] b, int at, int block) {
        if (w == 1) {
            for (int i = 0, j = at; i < n; i++, j += block) {
                b[j] = a[from + i];
            }
        } else {
            for (int i = 0, j = at; i < n; i++, j += block) {
                System.arraycopy(a, from + i * w, b, j, w);
            }
        }
    }

    /** The chunk on the heap: a private copy the loops index directly. */
    private byte[] load(MemorySegment s, int size) {
        if (in.length < size) {
            in = new byte[size];
        }
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, 0, in, 0, size);
        return in;
    }

    private byte[] room(int size) {
        if (out.length < size) {
            out = new byte[size];
        }
        return out;
    }

    @Override
    public void close() {
        in = new byte[0];
        out = new byte[0];
    }
}
