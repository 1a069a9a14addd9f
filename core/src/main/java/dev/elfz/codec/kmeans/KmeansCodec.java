package dev.elfz.codec.kmeans;

import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.codec.Bounds;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.IdealRatio;
import dev.elfz.codec.TensorCheck;
import dev.elfz.codec.ValueCheck;
import dev.elfz.codec.ValueCodec;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/** Non-uniform quantization: indices into a k-means codebook of 2^bits float32 centroids. */
public final class KmeansCodec implements ValueCodec {

    @Override
    public Codec id() {
        return Codec.KMEANS;
    }

    @Override
    public ChunkCodec chunkCodec(ElfType type, Kernel kernel) {
        return new KmeansChunkCodec(kernel, type);
    }

    @Override
    public CodecParams parseParams(Map<String, Object> params) {
        return KmeansParams.fromIndex(params);
    }

    /** None: a value decodes as a centroid, at no promised distance. */
    @Override
    public Bounds bounds(CodecParams params, Dtype dtype, MemorySegment coded, long n, long first) {
        return Bounds.constant(Double.POSITIVE_INFINITY);
    }

    /** A centroid, not a distance: each value decodes as the stored centroid nearest it ({@link KmeansParams.Promise}). */
    @Override
    public ValueCheck check(CodecParams params, Dtype dtype) {
        KmeansParams.Promise promise = ((KmeansParams) params).promise(dtype.elfType());
        return (x, y, bound) -> promise.outside(x, y);
    }

    /** The codebook within the values it was fitted on. */
    @Override
    public TensorCheck tensorCheck(CodecParams params, Dtype dtype) {
        return new CodebookRange((KmeansParams) params, dtype.elfType());
    }

    /** {@link IdealRatio#nonUniform}: the codes and the codebook. */
    @Override
    public double idealRatio(CodecParams params, long n, long kept, Dtype dtype) {
        return IdealRatio.nonUniform(n, ((KmeansParams) params).bits(), dtype.bits());
    }
}
