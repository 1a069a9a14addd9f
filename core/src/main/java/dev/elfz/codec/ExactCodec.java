package dev.elfz.codec;

import dev.elfz.Dtype;

/**
 * A value codec that gives back every byte (raw, lossless, blocks): it at most reorders bytes, so it promises an
 * error of 0 and its ideal ratio is 1, all its gain being the entropy stage's.
 */
public interface ExactCodec extends ValueCodec {

    @Override
    default boolean lossless() {
        return true;
    }

    @Override
    default double errorBound(Dtype dtype) {
        return 0;
    }

    @Override
    default double idealRatio(CodecParams params, long n, long kept, Dtype dtype) {
        return 1;
    }
}
