package dev.elfz.safetensors;

import dev.elfz.Dtype;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor of a safetensors file and where its bytes lie.
 *
 * @param begin first byte, relative to the start of the data buffer (after the header)
 * @param end one past the last byte; {@code end - begin} is always the size the dtype and shape need
 */
public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {

    /** @throws IllegalArgumentException when the offsets do not hold exactly the bytes of the shape */
    public TensorInfo {
        shape = new TensorSpec(name, dtype, shape).shape(); // validates and copies
        long size = dtype.byteSize(shape);
        if (begin < 0 || end - begin != size) {
            throw new IllegalArgumentException("tensor " + Messages.quote(name) + " [" + begin + ", " + end
                    + "] does not hold the " + size + " bytes of " + dtype + " " + Arrays.toString(shape));
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Name, dtype and shape: what a writer needs to write this tensor again. */
    public TensorSpec spec() {
        return new TensorSpec(name, dtype, shape);
    }

    public long elements() {
        return Dtype.elements(shape);
    }

    public long byteSize() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && begin == t.begin && end == t.end && spec().equals(t.spec());
    }

    @Override
    public int hashCode() {
        return Objects.hash(spec(), begin, end);
    }

    @Override
    public String toString() {
        return spec() + " [" + begin + ", " + end + ")";
    }
}
