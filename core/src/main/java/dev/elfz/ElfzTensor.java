package dev.elfz;

import dev.elfz.container.Index;
import dev.elfz.codec.elf.ElfChunkCodec;
import dev.elfz.codec.registry.Codecs;
import dev.elfz.kernel.ElfType;
import java.util.Arrays;

/**
 * A tensor of an .elfz file, as its index describes it.
 *
 * @param file the path of the file it belongs to (its name for a single-file archive), exact: see
 *     {@link Index.FileEntry#name()}
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
     * Values kept exactly by ELF or grid (outside their range, NaN, Inf), as the index records them; for files of
     * format 1.x, counted from the stored chunk lengths; 0 for the other codecs; -1 when a length fits no count.
     */
    public long exceptions() {
        if (stream.exceptions() != null) {
            return stream.exceptions();
        }
        if (codec != Codec.ELF || stream.entropy() != null) {
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

    /**
     * The largest absolute error of a decoded value in (-1, 1): 0 when lossless, the user's bound for grid, NaN
     * when it depends on the chunks (uniform) or there is none (k-means, pruning).
     */
    public double errorBound() {
        return Codecs.of(codec).errorBound(dtype, Codecs.params(codec, stream.params()));
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " " + codec.id();
    }
}
