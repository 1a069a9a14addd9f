package dev.elfz;

import dev.elfz.codec.Codec;
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

    /** The largest absolute error of a decoded value: 0 when lossless. */
    public double errorBound() {
        return codec.errorBound(dtype);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " " + codec.id();
    }
}
