package dev.elfz.codec;

import java.lang.foreign.MemorySegment;

/**
 * One codec's transform of a chunk (a run of whole values of one tensor) into its stored bytes and back.
 * An instance keeps scratch buffers and serves one thread at a time; instances are pooled and reused.
 */
public interface ChunkCodec extends AutoCloseable {

    /**
     * Encodes {@code src}, the values of a tensor from index {@code first} on, into {@code dst}, which has room for
     * at least {@link #encodedBound(long) encodedBound(src.byteSize())} bytes.
     *
     * @return the number of bytes written, or -1 when coding would not make the chunk smaller: the container
     *     then stores the chunk as it is. A codec that only reorders bytes for the entropy stage (lossless) may
     *     return the source's size.
     */
    long encode(CodecParams params, MemorySegment src, long first, MemorySegment dst);

    /**
     * Decodes a chunk stored by {@link #encode} into {@code dst}, whose size is the chunk's original size.
     * Checks that {@code stored} can be such a chunk before writing anything.
     *
     * @throws dev.elfz.kernel.CorruptDataException when it cannot
     */
    void decode(CodecParams params, MemorySegment stored, long first, MemorySegment dst);

    /** Values the last {@link #encode} of this instance kept exactly (ELF and grid exceptions); 0 for other codecs. */
    default long exceptions() {
        return 0;
    }

    /** Most bytes {@link #encode} writes for a chunk of {@code original} bytes: that size, unless a codec says more. */
    default long encodedBound(long original) {
        return original;
    }

    /**
     * Where the entropy stage cuts this codec's output of a chunk of {@code original} bytes from value
     * {@code first} into sections coded apart (FORMAT.md, "entropy stage"): offsets inside the output, increasing.
     * Byte planes, headers and bitmaps each make a section, so that each is coded with its own statistics.
     * The default is one section.
     */
    default long[] sections(CodecParams params, MemorySegment encoded, long original, long first) {
        return new long[0];
    }

    /** {@link #encode(CodecParams, MemorySegment, long, MemorySegment)} for codecs without parameters. */
    default long encode(MemorySegment src, MemorySegment dst) {
        return encode(CodecParams.NONE, src, 0, dst);
    }

    /** {@link #decode(CodecParams, MemorySegment, long, MemorySegment)} for codecs without parameters. */
    default void decode(MemorySegment stored, MemorySegment dst) {
        decode(CodecParams.NONE, stored, 0, dst);
    }

    @Override
    void close();
}
