package dev.elfz;

import java.util.List;
import java.util.OptionalLong;

/**
 * A run of original bytes (a tensor, a safetensors header, the rest of a file) cut into chunks of {@code chunkBytes},
 * the last one shorter, each coded with {@code codec} or stored as it is (FORMAT.md, "Index": a stream).
 *
 * @param codec the codec of its coded chunks ({@link Codec#RAW} when every chunk is stored)
 * @param entropyCoded whether its coded chunks went through the entropy stage after the codec
 * @param size bytes of the original
 * @param chunkBytes original bytes per chunk
 * @param crc32c the CRC32C of the original bytes, present when they decode exactly (raw or lossless)
 * @param chunks in order
 */
public record ChunkStream(
        Codec codec, boolean entropyCoded, long size, long chunkBytes, OptionalLong crc32c, List<Chunk> chunks) {

    public ChunkStream {
        chunks = List.copyOf(chunks);
    }

    /** Original bytes of chunk {@code i}. */
    public long chunkSize(int i) {
        return Math.min(chunkBytes, size - i * chunkBytes);
    }

    /** Bytes its chunks take in the .elfz file. */
    public long storedBytes() {
        return chunks.stream().mapToLong(Chunk::length).sum();
    }
}
