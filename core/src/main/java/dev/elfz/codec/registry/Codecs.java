package dev.elfz.codec.registry;

import dev.elfz.Codec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.RawCodec;
import dev.elfz.codec.ValueCodec;
import dev.elfz.codec.blocks.BlocksCodec;
import dev.elfz.codec.elf.ElfCodec;
import dev.elfz.codec.grid.GridCodec;
import dev.elfz.codec.kmeans.KmeansCodec;
import dev.elfz.codec.lossless.LosslessCodec;
import dev.elfz.codec.prune.PruneCodec;
import dev.elfz.codec.uniform.UniformCodec;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Every value codec, by its id: the one place that names the codec packages. A new codec is its own package (a
 * {@link ValueCodec} and its chunk codec), its id in {@link Codec}, and one line here.
 */
public final class Codecs {

    private static final Map<Codec, ValueCodec> ALL = new EnumMap<>(Codec.class);

    static {
        for (ValueCodec c : List.of(
                new RawCodec(),
                new ElfCodec(),
                new UniformCodec(),
                new KmeansCodec(),
                new PruneCodec(Codecs::of),
                new LosslessCodec(),
                new GridCodec(),
                new BlocksCodec())) {
            ALL.put(c.id(), c);
        }
    }

    private Codecs() {}

    /**
     * The codec of this id.
     *
     * @throws IllegalArgumentException when no codec is listed for it
     */
    public static ValueCodec of(Codec id) {
        ValueCodec c = ALL.get(id);
        if (c == null) {
            throw new IllegalArgumentException("no value codec for " + id);
        }
        return c;
    }

    /**
     * The parameters an index gives a tensor of codec {@code id} (null: none).
     *
     * @throws IllegalArgumentException when they are missing, unknown or out of range
     */
    public static CodecParams params(Codec id, Map<String, Object> params) {
        return of(id).parseParams(params == null ? Map.of() : params);
    }
}
