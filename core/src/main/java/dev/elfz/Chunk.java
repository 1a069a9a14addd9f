package dev.elfz;

/**
 * One chunk of a {@link ChunkStream}: where its bytes lie in the .elfz file.
 *
 * @param offset where it begins in the .elfz file
 * @param length the bytes it takes there
 * @param crc32c the CRC32C of those stored bytes (an unsigned 32-bit value)
 * @param coded true when the stream's codec coded it; false when it is stored as it is (coding would not shrink it)
 */
public record Chunk(long offset, long length, long crc32c, boolean coded) {}
