package dev.elfz.analyze;

import com.dynatrace.hash4j.hashing.HashStream128;
import com.dynatrace.hash4j.hashing.HashStream64;
import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hasher128;
import com.dynatrace.hash4j.hashing.Hasher64;
import com.dynatrace.hash4j.hashing.Hashing;
import dev.elfz.Dtype;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * XXH3 (hash4j) of bytes of memory segments, mapped or not, copied a piece at a time into a buffer of each thread. The
 * 128-bit form identifies whole tensors (dtype, shape and bytes); the 64-bit form fingerprints chunks. Both are
 * built from pieces that can be hashed in parallel: a tensor's hash from those of its {@link #PIECE}-byte pieces, a
 * 4 KiB chunk's fingerprint from those of its 512-byte parts.
 */
public final class SegmentHash {

    private SegmentHash() {}

    private static final Hasher128 XXH3_128 = Hashing.xxh3_128();
    private static final Hasher64 XXH3_64 = Hashing.xxh3_64();

    /** A 128-bit hash. */
    public record Hash128(long high, long low) {}

    /** The pieces a tensor is hashed in (the last may be shorter). */
    public static final long PIECE = 1 << 20;

    /**
     * XXH3-128 of dtype, shape, size and the XXH3-128 of each {@link #PIECE} bytes in order: equal for two tensors
     * exactly when they are the same tensor (but for about 2^-128).
     */
    public static Hash128 tensor(Dtype dtype, long[] shape, MemorySegment bytes) {
        HashStream128 h = tensorStream(dtype, shape, bytes.byteSize());
        for (long o = 0; o < bytes.byteSize(); o += PIECE) {
            put(h, piece(bytes, o, Math.min(PIECE, bytes.byteSize() - o)));
        }
        return value(h);
    }

    /** XXH3-128 of one piece of a tensor. */
    static Hash128 piece(MemorySegment s, long offset, long length) {
        return piece(heap(s, offset, length), 0, (int) length);
    }

    /** XXH3-128 of bytes [offset, offset + length) of {@code b}: one piece of a tensor. */
    static Hash128 piece(byte[] b, int offset, int length) {
        HashValue128 v = XXH3_128.hashBytesTo128Bits(b, offset, length);
        return new Hash128(v.getMostSignificantBits(), v.getLeastSignificantBits());
    }

    /** Adds a piece's hash to a tensor's stream. */
    static void put(HashStream128 tensor, Hash128 piece) {
        tensor.putLong(piece.high()).putLong(piece.low());
    }

    /** The stream {@link #tensor} hashes with, before the pieces' hashes. */
    static HashStream128 tensorStream(Dtype dtype, long[] shape, long byteSize) {
        HashStream128 h = XXH3_128.hashStream();
        h.putString(dtype.name());
        h.putLongArray(shape);
        h.putLong(byteSize);
        return h;
    }

    static Hash128 value(HashStream128 h) {
        HashValue128 v = h.get();
        return new Hash128(v.getMostSignificantBits(), v.getLeastSignificantBits());
    }

    /** XXH3-64 of bytes [offset, offset + length) of {@code s} (at most {@link #PIECE}). */
    public static long chunk(MemorySegment s, long offset, long length) {
        return chunk(heap(s, offset, length), 0, (int) length);
    }

    /** XXH3-64 of bytes [offset, offset + length) of {@code b}. */
    public static long chunk(byte[] b, int offset, int length) {
        return XXH3_64.hashBytesToLong(b, offset, length);
    }

    /**
     * Bytes of {@code s} copied into this thread's buffer of {@link #PIECE} bytes. hash4j reads a segment through
     * an interface (its ByteAccess), which runs slowly until the JIT has compiled it all; from an array it runs at
     * full speed at once, and the copy costs a tenth of the hashing.
     */
    public static byte[] heap(MemorySegment s, long offset, long length) {
        if (length > PIECE) {
            throw new IllegalArgumentException(length + " bytes, more than a piece");
        }
        byte[] b = BUFFER.get();
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, offset, b, 0, (int) length);
        return b;
    }

    private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[(int) PIECE]);

    /**
     * The fingerprint of a chunk of {@code length} bytes from those of its consecutive parts {@code parts[from]}..
     * {@code parts[from + count - 1]} ({@link #chunk}): XXH3-64 of the parts' fingerprints and the length, so two
     * chunks share it when their parts are the same bytes (but for 2^-64 per part).
     */
    public static long combine(long[] parts, int from, int count, long length) {
        return COMBINE.get()
                .reset()
                .putLongs(parts, from, count)
                .putLong(length)
                .getAsLong();
    }

    /** A stream per thread, reset for each chunk: no allocation per chunk. */
    private static final ThreadLocal<HashStream64> COMBINE = ThreadLocal.withInitial(XXH3_64::hashStream);
}
