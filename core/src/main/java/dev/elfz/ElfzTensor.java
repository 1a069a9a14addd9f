package dev.elfz;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor of an .elfz file, as its index describes it.
 *
 * @param file the {@link ElfzFile#name()} of the file it belongs to
 * @param offset where its bytes begin in its original file's data: a safetensors file's {@code data_offsets[0]}, an
 *     ONNX (data) file's offset in the file
 * @param exceptions values kept exactly by ELF or grid (outside their range, NaN, Inf); for files of format 1.x,
 *     counted from the stored chunk lengths; 0 for the other codecs; -1 when a chunk's length fits no count
 * @param errorBound the largest absolute error of a decoded value in (-1, 1): 0 when lossless, the user's bound for
 *     grid, NaN when it depends on the chunks (uniform) or there is none (k-means, pruning)
 * @param data its chunks
 */
public record ElfzTensor(
        String file,
        String name,
        Dtype dtype,
        long[] shape,
        long offset,
        long exceptions,
        double errorBound,
        ChunkStream data) {

    public ElfzTensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Its codec: the one of its chunks. */
    public Codec codec() {
        return data.codec();
    }

    public long elements() {
        return Dtype.elements(shape);
    }

    /** Bytes of the decoded tensor (little-endian, row-major, as in safetensors). */
    public long byteSize() {
        return data.size();
    }

    /** Bytes its chunks take in the .elfz file. */
    public long storedBytes() {
        return data.storedBytes();
    }

    /** Equal fields, the shape compared by value. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ElfzTensor t
                && file.equals(t.file)
                && name.equals(t.name)
                && dtype == t.dtype
                && Arrays.equals(shape, t.shape)
                && offset == t.offset
                && exceptions == t.exceptions
                && Double.compare(errorBound, t.errorBound) == 0
                && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(file, name, dtype, Arrays.hashCode(shape), offset, exceptions, errorBound, data);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " " + codec().id();
    }
}
