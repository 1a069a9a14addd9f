package dev.elfz.analyze;

import com.dynatrace.hash4j.hashing.ByteAccess;
import com.dynatrace.hash4j.hashing.HashStream128;
import com.dynatrace.hash4j.hashing.HashStream64;
import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hasher128;
import com.dynatrace.hash4j.hashing.Hasher64;
import com.dynatrace.hash4j.hashing.Hashing;
import dev.elfz.safetensors.Dtype;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * XXH3 (hash4j) read straight from a memory segment, mapped or not: no copy of the bytes onto the heap. The
 * 128-bit form identifies whole tensors (dtype, shape and bytes); the 64-bit form fingerprints chunks. Both are
 * built from pieces that can be hashed in parallel: a tensor's hash from those of its {@link #PIECE}-byte pieces, a
 * 4 KiB chunk's fingerprint from those of its 512-byte parts.
 */
public final class SegmentHash {

    private SegmentHash() {}

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** hash4j reads little-endian words through this; the segment is read in place. */
    static final ByteAccess<MemorySegment> ACCESS = new ByteAccess<>() {
        @Override
        public byte getByte(MemorySegment s, long i) {
            return s.get(ValueLayout.JAVA_BYTE, i);
        }

        @Override
        public int getInt(MemorySegment s, long i) {
            return s.get(INT, i);
        }

        @Override
        public long getLong(MemorySegment s, long i) {
            return s.get(LONG, i);
        }

        @Override
        public void copyToByteArray(MemorySegment s, long i, byte[] b, int off, int len) {
            MemorySegment.copy(s, ValueLayout.JAVA_BYTE, i, b, off, len);
        }
    };

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
        HashValue128 v = XXH3_128.hashBytesTo128Bits(s, offset, length, ACCESS);
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

    /** XXH3-64 of bytes [offset, offset + length) of {@code s}. */
    public static long chunk(MemorySegment s, long offset, long length) {
        return XXH3_64.hashBytesToLong(s, offset, length, ACCESS);
    }

    /**
     * The fingerprint of a chunk of {@code length} bytes from those of its consecutive parts {@code parts[from]}..
     * {@code parts[from + count - 1]} ({@link #chunk}): XXH3-64 of the parts' fingerprints and the length, so two
     * chunks share it when their parts are the same bytes (but for 2^-64 per part).
     */
    public static long combine(long[] parts, int from, int count, long length) {
        return COMBINE.get().reset().putLongs(parts, from, count).putLong(length).getAsLong();
    }

    /** A stream per thread, reset for each chunk: no allocation per chunk. */
    private static final ThreadLocal<HashStream64> COMBINE = ThreadLocal.withInitial(XXH3_64::hashStream);
}
