package dev.elfz.container;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.codec.CodecParams;
import dev.elfz.io.Crc32c;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The stored bytes of a delta chunk that is all zeros: a chunk of a fine-tune equal to its base's (a frozen layer).
 * The lossless codec and the entropy stage give every such chunk of a dtype and size the same few bytes, so they are
 * coded once: a writer stores them without coding the chunk, a reader that finds them copies the base's bytes
 * without decoding. Both give exactly the bytes the codec would.
 */
final class ZeroDeltas {

    /** A zero chunk's stored bytes and their CRC32C; bytes null when the codec would store such a chunk raw. */
    record Chunk(MemorySegment bytes, long crc) {}

    private record Key(Dtype dtype, long size) {}

    private final Map<Key, Chunk> chunks = new ConcurrentHashMap<>();

    /** The stored bytes of a lossless delta chunk of {@code size} zero bytes of {@code dtype}, coded by {@code codecs}. */
    Chunk of(CodecPool codecs, Dtype dtype, long size) {
        return chunks.computeIfAbsent(new Key(dtype, size), k -> code(codecs, dtype, size));
    }

    /** Bytes a zero chunk of {@code size} bytes takes stored (its own size when the codec would not shrink it). */
    long storedSize(CodecPool codecs, Dtype dtype, long size) {
        MemorySegment zero = of(codecs, dtype, size).bytes();
        return zero == null ? size : zero.byteSize();
    }

    /** Whether {@code stored} (a coded chunk of a delta's stream of {@code size} bytes) is the zero chunk. */
    boolean isZero(CodecPool codecs, Dtype dtype, long size, MemorySegment stored) {
        MemorySegment zero = of(codecs, dtype, size).bytes();
        return zero != null && stored.mismatch(zero) == -1;
    }

    private static Chunk code(CodecPool codecs, Dtype dtype, long size) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment zeros = arena.allocate(Math.max(1, size), 64).asSlice(0, size);
            MemorySegment coded = arena.allocate(2 * size + 4096, 64);
            long n = codecs.encode(Codec.LOSSLESS, dtype, CodecParams.NONE, zeros, 0, coded)
                    .length();
            if (n < 0) { // never for zeros; were it so, such chunks would simply be coded
                return new Chunk(null, 0);
            }
            MemorySegment bytes = MemorySegment.ofArray(coded.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
            return new Chunk(bytes, Crc32c.of(bytes));
        }
    }
}
