package dev.elfz.codec.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.elfz.Codec;
import dev.elfz.Dtype;
import dev.elfz.Granularity;
import dev.elfz.codec.Bounds;
import dev.elfz.codec.ChunkCodec;
import dev.elfz.codec.CodecParams;
import dev.elfz.codec.FloatValues;
import dev.elfz.codec.ValueCheck;
import dev.elfz.codec.ValueCodec;
import dev.elfz.codec.blocks.BlockFields;
import dev.elfz.codec.grid.GridParams;
import dev.elfz.codec.kmeans.KmeansParams;
import dev.elfz.codec.prune.PruneParams;
import dev.elfz.codec.uniform.UniformParams;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The registry lists every codec id, and each codec codes every dtype it declares and refuses the others. */
class CodecsTest {

    private static final int N = 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final UniformParams UNIFORM = new UniformParams(8, Granularity.GROUP, 64, false, null, null);

    /** Parameters for a tensor of each codec, as a planner could choose them. */
    private static final Map<Codec, CodecParams> PARAMS = new EnumMap<>(Map.of(
            Codec.RAW,
            CodecParams.NONE,
            Codec.ELF,
            CodecParams.NONE,
            Codec.LOSSLESS,
            CodecParams.NONE,
            Codec.GRID,
            GridParams.forBound(1e-3),
            Codec.UNIFORM,
            UNIFORM,
            Codec.KMEANS,
            new KmeansParams(2, new float[] {-0.1f, -0.02f, 0.02f, 0.1f}, 0),
            Codec.PRUNE,
            new PruneParams(0.01f, Codec.UNIFORM, UNIFORM),
            Codec.BLOCKS,
            new BlockFields(new int[] {1, 1, 30})));

    @Test
    void everyIdHasItsCodec() {
        for (Codec id : Codec.values()) {
            assertEquals(id, Codecs.of(id).id(), id.id());
            assertTrue(PARAMS.containsKey(id), id + " has no parameters in this test: add them");
        }
    }

    @Test
    void paramsGoThroughTheIndexAndBack() throws Exception {
        for (Codec id : Codec.values()) {
            Map<String, Object> written = PARAMS.get(id).toIndex();
            Map<String, Object> read = JSON.readValue(JSON.writeValueAsString(written), new TypeReference<>() {});
            assertEquals(
                    JSON.writeValueAsString(written),
                    JSON.writeValueAsString(Codecs.params(id, read).toIndex()),
                    id.id());
        }
        assertThrows(IllegalArgumentException.class, () -> Codecs.params(Codec.ELF, Map.of("bits", 8)));
        assertThrows(
                IllegalArgumentException.class,
                () -> Codecs.params(
                        Codec.PRUNE, Map.of("threshold_bits", 0, "inner", "prune", "inner_params", Map.of())));
    }

    @Test
    void eachCodecRoundTripsTheDtypesItDeclares() {
        Kernel kernel = Kernels.best();
        for (Codec id : Codec.values()) {
            ValueCodec codec = Codecs.of(id);
            int coded = 0;
            for (Dtype dtype : Dtype.values()) {
                if (!codec.supports(dtype)) {
                    assertThrows(
                            IllegalArgumentException.class, () -> codec.newChunkCodec(dtype, kernel), id + " " + dtype);
                } else if (id == Codec.RAW) {
                    assertNull(codec.newChunkCodec(dtype, kernel), "raw chunks are stored as they are");
                    assertTrue(codec.lossless());
                } else {
                    roundTrip(codec, dtype, kernel);
                    coded++;
                }
            }
            assertTrue(id == Codec.RAW || coded > 0, id + " declares no dtype");
        }
    }

    @Test
    void verifyChecksEachValueAsItsCodecPromises() {
        ValueCheck elf = Codecs.of(Codec.ELF).check(CodecParams.NONE, Dtype.F32);
        assertNull(elf.outside(0.75, 0.75 + 0x1p-26, 0x1p-24));
        assertNotNull(elf.outside(1.5, 1.5 + 0x1p-22, 0x1p-24), "past 1, ELF keeps a value exactly");
        ValueCheck grid = Codecs.of(Codec.GRID).check(GridParams.forBound(0.01), Dtype.F32);
        assertNull(grid.outside(5, 5.01, 0.01));
        assertNotNull(grid.outside(5, 5.0100001, 0.01), "grid's bound is exact, no ulp of rounding");
        assertNotNull(grid.outside(Double.POSITIVE_INFINITY, Double.MAX_VALUE, 0.01));
        ValueCheck uniform = Codecs.of(Codec.UNIFORM).check(UNIFORM, Dtype.F32);
        assertNull(uniform.outside(5, 5.0100001, 0.01), "quantization: its bound plus an ulp of the dtype");
        ValueCheck pruned = Codecs.of(Codec.PRUNE).check(new PruneParams(0.5f, Codec.ELF, CodecParams.NONE), Dtype.F32);
        assertNull(pruned.outside(0.25, 0, 0.5), "dropped: +0, within the threshold");
        assertNotNull(pruned.outside(-0.25, 0.5, 0.5));
        assertNull(pruned.outside(0.75, 0.75 + 0x1p-26, 0x1p-24));
        assertNotNull(pruned.outside(1.5, 1.5 + 0x1p-22, 0x1p-24), "a survivor is checked as ELF checks it");
    }

    /** Codes a weight-like chunk, decodes it and checks every value as verify does, then a value broken on purpose. */
    private static void roundTrip(ValueCodec codec, Dtype dtype, Kernel kernel) {
        String what = codec.id().id() + " " + dtype;
        ElfType type = dtype.elfType();
        CodecParams params = PARAMS.get(codec.id());
        try (Arena arena = Arena.ofConfined();
                ChunkCodec chunks = codec.newChunkCodec(dtype, kernel)) {
            MemorySegment src = type != null ? weights(type, arena) : bytes(arena);
            MemorySegment dst = arena.allocate(chunks.encodedBound(src.byteSize()));
            long length = chunks.encode(params, src, 0, dst);
            assertTrue(length >= 0, what + ": a chunk of weights stored as it is");
            MemorySegment stored = dst.asSlice(0, length);
            MemorySegment decoded = arena.allocate(src.byteSize());
            chunks.decode(params, stored, 0, decoded);
            if (codec.lossless()) {
                assertEquals(-1, src.mismatch(decoded), what);
                return;
            }
            Bounds bounds = codec.bounds(params, dtype, stored, N, 0);
            ValueCheck check = codec.check(params, dtype);
            long changed = 0;
            for (long i = 0; i < N; i++) {
                double x = FloatValues.get(type, src, i);
                double y = FloatValues.get(type, decoded, i);
                String bad = Double.compare(x, y) == 0
                        ? null
                        : check.outside(x, y, bounds.at().applyAsDouble(i));
                if (bad != null) {
                    fail(what + ": value " + i + ": " + x + " decoded as " + y + ", " + bad);
                }
                changed += Double.compare(x, y) == 0 ? 0 : 1;
            }
            assertTrue(changed > 0, what + ": a lossy codec changed no value");
            if (bounds.max() < 1) { // a promised distance: a value 1 away from its original breaks it
                assertNotNull(check.outside(0.5, 1.5, bounds.max()), what);
            }
        }
    }

    /** N bytes, whole blocks of the blocks codec's params here. */
    private static MemorySegment bytes(Arena arena) {
        byte[] b = new byte[N];
        new SplittableRandom(N).nextBytes(b);
        return arena.allocate(N).copyFrom(MemorySegment.ofArray(b));
    }

    /** N values like a layer's weights: mostly small, a few past 1 (exceptions for ELF). */
    private static MemorySegment weights(ElfType type, Arena arena) {
        SplittableRandom r = new SplittableRandom(type.ordinal());
        MemorySegment s = arena.allocate((long) N * type.valueBytes(), 8);
        for (long i = 0; i < N; i++) {
            double v = i % 97 == 0
                    ? 3.25
                    : 0.05 * Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
            switch (type) {
                case F32 -> s.setAtIndex(FloatValues.F32, i, (float) v);
                case F64 -> s.setAtIndex(FloatValues.F64, i, v);
                case F16 -> s.setAtIndex(FloatValues.U16, i, Float.floatToFloat16((float) v));
                case BF16 -> s.setAtIndex(FloatValues.U16, i, ElfType.toBf16((float) v));
            }
        }
        return s;
    }
}
