package dev.elfz;

import dev.elfz.codec.Codec;
import dev.elfz.elf.ElfChunkCodec;
import dev.elfz.kernel.ElfType;
import dev.elfz.safetensors.Dtype;
import java.util.Arrays;

/**
 * A tensor of an .elfz file, as its index describes it.
 *
 * @param file the path of the safetensors file it belongs to (its name for a single-file archive)
 * @param stream where its chunks lie
 */
public record ElfzTensor(String file, String name, Dtype dtype, long[] shape, Codec codec, Index.Stream stream) {

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elements() {
        return Dtype.elements(shape);
    }

    /** Bytes of the decoded tensor (little-endian, row-major, as in safetensors). */
    public long byteSize() {
        return stream.size();
    }

    /** Bytes its chunks take in the .elfz file. */
    public long storedBytes() {
        return stream.storedBytes();
    }

    /**
     * Values kept exactly by ELF (outside (-1, 1), NaN, Inf), counted from the stored chunk lengths without
     * decoding; 0 for a raw tensor, and chunks ELF could not shrink (stored as they are) count none;
     * -1 when a chunk's length fits no count (a damaged file).
     */
    public long exceptions() {
        if (codec != Codec.ELF) {
            return 0;
        }
        ElfType type = dtype.elfType();
        long sum = 0;
        for (int i = 0; i < stream.chunks().length; i++) {
            long[] c = stream.chunks()[i];
            long e = c[Index.Stream.CODED] == 0 ? 0
                    : ElfChunkCodec.exceptions(type, stream.chunkSize(i) / type.valueBytes(), c[Index.Stream.LENGTH]);
            if (e < 0) {
                return -1; // a damaged chunk: decoding it will say so
            }
            sum += e;
        }
        return sum;
    }

    /** The largest absolute error of a decoded value: 0 when lossless. */
    public double errorBound() {
        return codec.errorBound(dtype);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " " + codec.id();
    }
}
