package dev.elfz.safetensors;

import dev.elfz.Dtype;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a tensor is, without where it lies: the name, dtype and shape a writer needs.
 *
 * @param shape row-major dimensions; [] for a scalar, a 0 anywhere for an empty tensor (copied, never shared)
 */
public record TensorSpec(String name, Dtype dtype, long[] shape) {

    /** @throws IllegalArgumentException for a bad shape or a size that is not whole bytes */
    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        try {
            dtype.byteSize(shape);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor " + Messages.quote(name) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The number of dimensions (0 for a scalar). */
    public int rank() {
        return shape.length;
    }

    public long elements() {
        return Dtype.elements(shape);
    }

    public long byteSize() {
        return dtype.byteSize(shape);
    }

    // Records compare arrays by identity; a spec is a value.
    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec s && name.equals(s.name) && dtype == s.dtype && Arrays.equals(shape, s.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return Messages.quote(name) + " " + dtype + " " + Arrays.toString(shape);
    }
}
